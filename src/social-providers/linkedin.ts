import { socialProvider } from './social-provider-settings.ts';

/** LinkedIn ("Sign In with LinkedIn using OpenID Connect"): standard claims with `email_verified`; the secret goes in the form body. */
export const linkedin = socialProvider({
  name: 'linkedin',
  displayName: 'LinkedIn',
  addresses: { issuer: { default: 'https://www.linkedin.com/oauth', meaning: "Issuer of LinkedIn's OpenID Connect (discovery)." } },
  issuer: (addresses) => addresses.issuer,
  scopes: ['openid', 'profile', 'email'],
  tokenEndpointAuthMethod: 'client_secret_post',
});
