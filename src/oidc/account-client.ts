import type { ClientMetadata } from 'oidc-provider';

/**
 * The account page is a first-party app of this server: a signed-out visitor is sent through an
 * ordinary authorization request (so every sign-in step, company and social sign-in included,
 * applies) with response_type=none. Nothing is issued to it: the page reads oidc-provider's
 * session, which the sign-in has just written, and the redirect only brings the browser back.
 */
export const accountClientId = 'account';
export const accountSignedInPath = '/account/signed-in';

export function accountClient(issuer: string): ClientMetadata {
  return {
    client_id: accountClientId,
    client_name: 'My account',
    redirect_uris: [`${issuer}${accountSignedInPath}`],
    response_types: ['none'],
    grant_types: [],
    token_endpoint_auth_method: 'none',
    first_party: true,
  };
}
