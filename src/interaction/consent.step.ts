import type Provider from 'oidc-provider';
import { hasMessage } from '../ui/i18n.ts';
import { expectPrompt, finishInteraction, type InteractionDetails, type InteractionFlow, renderStep, stepUrl } from './interaction-flow.ts';

interface MissingConsent {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Grants what the consent prompt found missing, on the existing grant or a new one; returns its id. */
export async function grantConsent(provider: Provider, details: InteractionDetails): Promise<string> {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
  if (!grant) throw new Error('grant disappeared during consent');
  const missing = prompt.details as MissingConsent;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

/** What the app asks for, as message keys where we describe the scope, as the scope name otherwise. */
function requestedPermissions(details: InteractionDetails): Array<{ messageKey: string } | { text: string }> {
  const missing = details.prompt.details as MissingConsent;
  const scopes = new Set(['openid', ...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()]);
  return [...scopes].map((scope) => (hasMessage(`scope.${scope}`) ? { messageKey: `scope.${scope}` } : { text: scope }));
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
  const grantId = await grantConsent(flow.provider, flow.details);
  await finishInteraction(flow, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** The person declines: the app gets access_denied on its redirect_uri, with its state. */
export async function abortInteraction(flow: InteractionFlow): Promise<void> {
  await finishInteraction(flow, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
}
