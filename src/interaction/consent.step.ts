import type Provider from 'oidc-provider';
import type { Grant } from 'oidc-provider';
import { consentOfGrant } from '../consents/consent.ts';
import { describeScopes, type ScopeDescription } from '../consents/scope-description.ts';
import { expectPrompt, finishInteraction, type InteractionDetails, type InteractionFlow, renderStep, stepUrl } from './interaction-flow.ts';

interface MissingConsent {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Grants what the consent prompt found missing, on the existing grant or a new one. */
async function grantConsent(provider: Provider, details: InteractionDetails): Promise<Grant> {
  const { prompt, params, session, grantId } = details;
  const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
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

export async function showConsent(flow: InteractionFlow): Promise<void> {
  const accountId = flow.details.session?.accountId;
  const account = accountId ? await flow.services.accounts.findById(accountId) : undefined;
  renderStep(flow, 'interaction/consent', {
    accountEmail: account?.email,
    permissions: requestedPermissions(flow.details),
    links: { allow: stepUrl(flow, 'consent'), deny: stepUrl(flow, 'abort') },
  });
}

export async function submitConsent(flow: InteractionFlow): Promise<void> {
  expectPrompt(flow, 'consent');
  const grant = await grantConsent(flow.provider, flow.details);
  // Remembered for the account and app, not only in this browser session's grant.
  await flow.services.consents.record(grant.accountId!, grant.clientId!, consentOfGrant(grant));
  await finishInteraction(flow, { consent: { grantId: grant.jti } }, { mergeWithLastSubmission: true });
}

/** The person declines: the app gets access_denied on its redirect_uri, with its state. */
export async function abortInteraction(flow: InteractionFlow): Promise<void> {
  await finishInteraction(flow, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
}
