import type { InteractionResults } from 'oidc-provider';

/**
 * The login result of a company or social sign-in. `remember` is the choice made before leaving
 * for a social provider; undefined (no choice offered, company sign-in) keeps oidc-provider's
 * default, a persistent session.
 */
export function federatedLogin(accountId: string, remember: boolean | undefined): NonNullable<InteractionResults['login']> {
  return { accountId, amr: ['fed'], ...(remember === undefined ? {} : { remember }) };
}
