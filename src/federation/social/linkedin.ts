import { type SocialProvider, socialOidcConnection } from './social-provider.ts';

/**
 * LinkedIn ("Sign In with LinkedIn using OpenID Connect"): standard claims with `email_verified`;
 * its token endpoint takes the client secret in the form body.
 */
export const linkedin: SocialProvider<'linkedin'> = {
  name: 'linkedin',
  displayName: 'LinkedIn',
  connection(client, deps) {
    const settings = {
      issuer: client.issuer ?? 'https://www.linkedin.com/oauth',
      scopes: ['openid', 'profile', 'email'],
      tokenEndpointAuthMethod: 'client_secret_post' as const,
    };
    return socialOidcConnection(this, client, settings, deps);
  },
};
