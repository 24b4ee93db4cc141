import { emailSchema } from '../../accounts/email.ts';
import { FederationError, failureStatus } from '../../federation/federation-error.ts';
import { isErrorCode } from '../../http/error-codes.ts';
import { completeSignIn } from '../complete.ts';
import { expectPrompt, type JourneyFlow, type JourneyStepDefinition, renderJourneyPage, savePendingLink, seeOther } from '../flow.ts';
import { interactionUrls } from '../urls.ts';
import { redirectToSocialFailure, showSocialFailure } from './social.step.ts';

const connectionIdPattern = /^[\w-]{1,64}$/;

/** The email to pass upstream: the one typed on the identifier page (saved state), or the app's login_hint. */
function loginHintOf(flow: JourneyFlow): string | undefined {
  const { at } = flow.state;
  for (const candidate of [flow.ctx.query.login_hint, at && 'email' in at ? at.email : undefined, flow.details.params.login_hint]) {
    const parsed = emailSchema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** Failures redirect to a page of their own, so that reloading it or switching its language works. */
export function redirectToFailure(flow: JourneyFlow, error: FederationError): void {
  const social = flow.deps.socialSignIn.byConnectionId(error.connectionId);
  if (social) redirectToSocialFailure(flow, error, social);
  else seeOther(flow.ctx, interactionUrls.federatedFailed(flow.ref, error.code, error.connectionId));
}

function showFailure(flow: JourneyFlow): void {
  expectPrompt(flow, 'login');
  const { query } = flow.ctx;
  const connection = typeof query.connection === 'string' && connectionIdPattern.test(query.connection) ? query.connection : undefined;
  const social = flow.deps.socialSignIn.byConnectionId(connection);
  if (social) {
    showSocialFailure(flow, social, query.reason);
    return;
  }
  const reason = isErrorCode(query.reason) ? query.reason : 'federation.upstream_error';
  renderJourneyPage(
    flow,
    'federation/failed',
    {
      messageKey: `error.${reason}`,
      retryUrl: connection ? interactionUrls.federated(flow.ref, connection) : undefined,
      // The sign-in page again (the email step, filled in): not straight back to the company IdP.
      backUrl: interactionUrls.signIn(flow.ref),
      requestId: flow.ctx.state.requestId,
    },
    failureStatus(reason),
  );
}

/** Back from the upstream (through our callback URL): validates its answer and signs the person in, or asks to link. */
async function resume(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  try {
    const callback = typeof flow.ctx.query.callback === 'string' ? flow.ctx.query.callback : '';
    const { outcome, connectionId, remember, authentication } = await flow.deps.federation.finish(flow.ref.uid, callback);
    if (outcome.kind === 'link_required') {
      // Never linked automatically: the sign-in page asks the person to sign in to an account first.
      await savePendingLink(flow, { ...outcome.link, remember });
      seeOther(flow.ctx, interactionUrls.signIn(flow.ref));
      return;
    }
    const upstream = authentication && (authentication.amr.length || authentication.acr) ? { upstream: authentication } : {};
    await completeSignIn(flow, outcome.account, { kind: 'federated', amr: ['fed'], remember, connectionId, ...upstream });
  } catch (error) {
    if (!(error instanceof FederationError)) throw error;
    redirectToFailure(flow, error);
  }
}

/** Sends the browser to the company IdP: a redirect, or a form it posts (SAML HTTP-POST binding). */
async function leave(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  try {
    const next = await flow.deps.federation.start(String(flow.ctx.params.connectionId), {
      uid: flow.ref.uid,
      appClientId: flow.details.params.client_id,
      loginHint: loginHintOf(flow),
    });
    if (next.kind === 'redirect') {
      flow.ctx.redirect(next.url);
      return;
    }
    renderJourneyPage(flow, 'federation/auto-post', { url: next.url, fields: Object.entries(next.fields) });
  } catch (error) {
    if (!(error instanceof FederationError)) throw error;
    redirectToFailure(flow, error);
  }
}

/**
 * A company sign-in: `/federated/:connectionId` leaves for the IdP, `/federated/resume` is where
 * the answer comes back, `/federated/failed` explains a failure and offers a way back.
 */
export const federatedStep: JourneyStepDefinition = {
  routes: [
    { method: 'get', path: '/federated/failed', handler: showFailure },
    { method: 'get', path: '/federated/resume', handler: resume },
    { method: 'get', path: '/federated/:connectionId', handler: leave },
  ],
};
