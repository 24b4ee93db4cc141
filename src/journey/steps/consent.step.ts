import type { Grant } from 'oidc-provider';
import { consentOfGrant } from '../../consents/consent.ts';
import { describeScopes, type ScopeDescription } from '../../consents/scope-description.ts';
import { expectPrompt, finishInteraction, type InteractionDetails, type JourneyFlow, type JourneyStepDefinition, renderStep } from '../flow.ts';
import { interactionUrls } from '../urls.ts';

interface MissingConsent {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Grants what the consent prompt found missing, on the existing grant or a new one. */
async function grantConsent(flow: JourneyFlow): Promise<Grant> {
  const { prompt, params, session, grantId } = flow.details;
  const { Grant } = flow.provider;
  const grant = grantId ? await Grant.find(grantId) : new Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
  if (!grant) throw new Error('grant disappeared during consent');
  const missing = prompt.details as MissingConsent;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await grant.save();
  return grant;
}

/** What the app asks for. */
function requestedPermissions(details: InteractionDetails): ScopeDescription[] {
  const missing = details.prompt.details as MissingConsent;
  return describeScopes(['openid', ...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()]);
}

async function showConsent(flow: JourneyFlow): Promise<void> {
  const accountId = flow.details.session?.accountId;
  const account = accountId ? await flow.deps.accounts.findById(accountId) : undefined;
  renderStep(flow, 'interaction/consent', {
    accountEmail: account?.email,
    permissions: requestedPermissions(flow.details),
    links: { allow: interactionUrls.step(flow.ref, 'consent'), deny: interactionUrls.step(flow.ref, 'abort') },
  });
}

async function submitConsent(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'consent');
  const grant = await grantConsent(flow);
  // Remembered for the account and app, not only in this browser session's grant.
  await flow.deps.consents.record(grant.accountId!, grant.clientId!, consentOfGrant(grant));
  await finishInteraction(flow, { consent: { grantId: grant.jti } }, { mergeWithLastSubmission: true });
}

/** The person declines: the app gets access_denied on its redirect_uri, with its state. */
async function abortInteraction(flow: JourneyFlow): Promise<void> {
  await finishInteraction(flow, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
}

/** The consent prompt (third-party apps), shown whenever oidc-provider asks for consent rather than a login. */
export const consentStep: JourneyStepDefinition = {
  show: showConsent,
  routes: [
    { method: 'post', path: '/consent', handler: submitConsent },
    { method: 'post', path: '/abort', handler: abortInteraction },
  ],
};
