import type { AccountRow } from '../db/schema.ts';

/** Standard claims of an account; oidc-provider filters them by the granted scopes and claims. */
export function accountClaims(account: AccountRow) {
  return {
    sub: account.id,
    email: account.email,
    email_verified: account.email_verified,
    ...(account.name ? { name: account.name } : {}),
    ...(account.given_name ? { given_name: account.given_name } : {}),
    ...(account.family_name ? { family_name: account.family_name } : {}),
    ...(account.locale ? { locale: account.locale } : {}),
  };
}
