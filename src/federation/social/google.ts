import { type SocialProvider, socialOidcConnection } from './social-provider.ts';

/** Google: plain OpenID Connect; the ID token carries the profile and a boolean `email_verified`. */
export const google: SocialProvider<'google'> = {
  name: 'google',
  displayName: 'Google',
  connection(client, deps) {
    const settings = {
      issuer: client.issuer ?? 'https://accounts.google.com',
      scopes: ['openid', 'email', 'profile'],
      tokenEndpointAuthMethod: 'client_secret_basic' as const,
    };
    return socialOidcConnection(this, client, settings, deps);
  },
};
