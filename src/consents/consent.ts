import type { Grant } from 'oidc-provider';

/** What a person allowed one app: OIDC scopes and claims, and scopes per API (resource indicator). */
export interface Consent {
  scopes: string[];
  claims: string[];
  resourceScopes: Record<string, string[]>;
}

const words = (scope: string | undefined): string[] => (scope ?? '').split(' ').filter(Boolean);
const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])];

/** Everything `b` adds to `a`, kept in order. */
export function mergeConsents(a: Consent, b: Consent): Consent {
  const resourceScopes = { ...a.resourceScopes };
  for (const [indicator, scopes] of Object.entries(b.resourceScopes)) resourceScopes[indicator] = union(resourceScopes[indicator] ?? [], scopes);
  return { scopes: union(a.scopes, b.scopes), claims: union(a.claims, b.claims), resourceScopes };
}

/** What a Grant holds, as a consent to remember. */
export function consentOfGrant(grant: Grant): Consent {
  return {
    scopes: words(grant.getOIDCScope()),
    claims: grant.getOIDCClaims(),
    resourceScopes: Object.fromEntries(Object.keys(grant.resources ?? {}).map((indicator) => [indicator, words(grant.getResourceScope(indicator))])),
  };
}

/** Adds a remembered consent to a Grant; true when the Grant lacked part of it. */
export function addConsentToGrant(grant: Grant, consent: Consent): boolean {
  const held = consentOfGrant(grant);
  const missingScopes = consent.scopes.filter((scope) => !held.scopes.includes(scope));
  const missingClaims = consent.claims.filter((claim) => !held.claims.includes(claim));
  if (missingScopes.length > 0) grant.addOIDCScope(missingScopes);
  if (missingClaims.length > 0) grant.addOIDCClaims(missingClaims);
  let changed = missingScopes.length > 0 || missingClaims.length > 0;
  for (const [indicator, scopes] of Object.entries(consent.resourceScopes)) {
    const missing = scopes.filter((scope) => !(held.resourceScopes[indicator] ?? []).includes(scope));
    if (missing.length > 0) {
      grant.addResourceScope(indicator, missing);
      changed = true;
    }
  }
  return changed;
}
