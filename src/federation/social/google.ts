import { defaultOidcClaims, OidcConnection } from '../oidc/oidc.connection.ts';
import { type SocialProvider, socialConnectionRecord } from './social-provider.ts';

/** Google: plain OpenID Connect; the ID token carries the profile and a boolean `email_verified`. */
export const google: SocialProvider<'google'> = {
  name: 'google',
  displayName: 'Google',
  connection: (client, deps) =>
    new OidcConnection(
      socialConnectionRecord(
        'google',
        'Google',
        {
          issuer: client.issuer ?? 'https://accounts.google.com',
          clientId: client.clientId,
          scopes: ['openid', 'email', 'profile'],
          claims: defaultOidcClaims,
          userinfo: false,
          assumeEmailVerified: false,
          tokenEndpointAuthMethod: 'client_secret_basic',
          authorizationParams: {},
        },
        client.clientSecret,
      ),
      deps,
    ),
};
