import { socialProvider } from './social-provider-settings.ts';

/** Google: plain OpenID Connect; the ID token carries the profile and a boolean `email_verified`. */
export const google = socialProvider({
  name: 'google',
  displayName: 'Google',
  addresses: { issuer: { default: 'https://accounts.google.com', meaning: "Issuer of Google's OpenID Connect (discovery)." } },
  issuer: (addresses) => addresses.issuer,
  scopes: ['openid', 'email', 'profile'],
  tokenEndpointAuthMethod: 'client_secret_basic',
});
