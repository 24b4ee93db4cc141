import { AppError } from '../http/errors.ts';
import { requestOrigin } from '../http/request-context.ts';
import { deviceTokenOf, ensureDeviceToken } from './device-cookie.ts';
import type { SignInAttempt, SignInMethod } from './factor-policy.ts';
import { asksForSignUp, finishInteraction, type JourneyFlow, saveStep, seeOther } from './flow.ts';
import { interactionUrls } from './urls.ts';

/** Authentication context reached by these factors when the policy names none: one factor or several. */
function assuranceOf(amr: string[]): string {
  return new Set(amr).size > 1 ? 'urn:signin:acr:mfa' : 'urn:signin:acr:1fa';
}

export interface CompletionOptions {
  /** "Trust this device", ticked on the step just passed. */
  trustDevice?: boolean;
}

/**
 * Where every sign-in ends, password, company, social or a confirmed email alike: the factor
 * policy first (a step still to pass is saved and shown instead of finishing), then the pending
 * social link, now that the sign-in is complete (so a wrong password, or a second factor not
 * passed, links nothing), then the browser is recorded for the account (and trusted when asked),
 * then the login handed to oidc-provider with its amr and acr.
 */
export async function completeSignIn(
  flow: JourneyFlow,
  account: SignInAttempt['account'],
  method: SignInMethod,
  options: CompletionOptions = {},
): Promise<void> {
  // A disabled account (an admin's or SCIM's decision) gets no session, whatever it proved.
  if ((await flow.deps.accounts.findById(account.id))?.disabled_at) throw new AppError('session.account_disabled', 403);
  const acrValues = typeof flow.details.params.acr_values === 'string' ? flow.details.params.acr_values : undefined;
  const deviceToken = deviceTokenOf(flow.ctx);
  const decision = await flow.deps.factorPolicy.decide({ account, method, clientId: String(flow.details.params.client_id), acrValues, deviceToken });
  if (decision.kind === 'unmet') {
    // Never a silent downgrade: the app learns that this account cannot reach the level it asked for.
    await finishInteraction(flow, { error: 'unmet_authentication_requirements' }, { mergeWithLastSubmission: false });
    return;
  }
  if (decision.kind === 'step') {
    await saveStep(flow, decision.step);
    const { step } = decision.step;
    await flow.deps.factorPolicy.steps?.find((candidate) => candidate.shows?.includes(step))?.enter?.(flow, decision.step);
    seeOther(flow.ctx, interactionUrls.signIn(flow.ref));
    return;
  }
  const pending = flow.state.pendingLink;
  if (pending) await flow.deps.socialLinking.link(pending, account.id);
  await flow.deps.devices.remember(account.id, ensureDeviceToken(flow.ctx), flow.ctx.get('user-agent'), options.trustDevice === true, flow.locale);
  const amr = decision.amr ?? method.amr;
  const login = {
    accountId: account.id,
    amr,
    acr: decision.acr ?? assuranceOf(amr),
    // remember: false makes oidc-provider's session cookie a browser-session cookie (no Expires).
    ...(method.remember === undefined ? {} : { remember: method.remember }),
  };
  // The journey's own state (steps, pending link) ends with the sign-in: only the login goes on.
  flow.deps.signInMetrics.record(method.kind, 'success');
  await flow.deps.signInAudit.succeeded(account.id, method.kind, amr, requestOrigin(flow.ctx));
  // A sign-in, the sign-up page's or any other, answers the app's prompt=create too.
  await finishInteraction(flow, { login, ...(asksForSignUp(flow) ? { create: {} } : {}) }, { mergeWithLastSubmission: false });
}
