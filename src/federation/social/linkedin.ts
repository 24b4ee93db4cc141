import { socialOidcConnection, socialProvider } from './social-provider.ts';

/**
 * LinkedIn ("Sign In with LinkedIn using OpenID Connect"): standard claims with `email_verified`;
 * its token endpoint takes the client secret in the form body.
 */
export const linkedin = socialProvider({
  name: 'linkedin',
  displayName: 'LinkedIn',
  addresses: { issuer: { default: 'https://www.linkedin.com/oauth', meaning: "Issuer of LinkedIn's OpenID Connect (discovery)." } },
  connection(client, deps) {
    const settings = {
      issuer: client.issuer,
      scopes: ['openid', 'profile', 'email'],
      tokenEndpointAuthMethod: 'client_secret_post' as const,
    };
    return socialOidcConnection(this, client, settings, deps);
  },
});
