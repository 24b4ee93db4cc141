import { defaultOidcClaims, OidcConnection } from '../oidc/oidc.connection.ts';
import { type SocialProvider, socialConnectionRecord } from './social-provider.ts';

/**
 * LinkedIn ("Sign In with LinkedIn using OpenID Connect"): standard claims with `email_verified`;
 * its token endpoint takes the client secret in the form body.
 */
export const linkedin: SocialProvider<'linkedin'> = {
  name: 'linkedin',
  displayName: 'LinkedIn',
  connection: (client, deps) =>
    new OidcConnection(
      socialConnectionRecord(
        'linkedin',
        'LinkedIn',
        {
          issuer: client.issuer ?? 'https://www.linkedin.com/oauth',
          clientId: client.clientId,
          scopes: ['openid', 'profile', 'email'],
          claims: defaultOidcClaims,
          userinfo: false,
          assumeEmailVerified: false,
          tokenEndpointAuthMethod: 'client_secret_post',
          authorizationParams: {},
        },
        client.clientSecret,
      ),
      deps,
    ),
};
