import type { AccessToken, ClientCredentials, KoaContextWithOIDC } from 'oidc-provider';

interface SignInRecord {
  acr?: string | undefined;
  authTime?: number | undefined;
}

/**
 * RFC 9470: an access token issued for a person says how (`acr`) and when (`auth_time`) that
 * person signed in, in the JWT for an API and in the introspection answer of an opaque one
 * (oidc-provider spreads extraTokenClaims into both). The sign-in is read from what the token
 * request used: the authorization code, the refresh token (which carries the original sign-in
 * through every rotation), or a device or CIBA request. client_credentials tokens have no person.
 */
export function signInAssuranceClaims(ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials): Record<string, unknown> | undefined {
  if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
  const { AuthorizationCode, RefreshToken, DeviceCode, BackchannelAuthenticationRequest } = ctx.oidc.entities;
  const signIn: SignInRecord | undefined = AuthorizationCode ?? RefreshToken ?? DeviceCode ?? BackchannelAuthenticationRequest;
  if (!signIn) return undefined;
  const claims: Record<string, unknown> = {};
  if (signIn.acr) claims.acr = signIn.acr;
  if (signIn.authTime !== undefined) claims.auth_time = signIn.authTime;
  return claims;
}
