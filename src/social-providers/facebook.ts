import { socialProvider } from './social-provider-settings.ts';

const graphVersion = 'v23.0';

/** Facebook Login: OAuth 2 with fixed endpoints and the Graph API for the profile (federation/social/facebook.ts). */
export const facebook = socialProvider({
  name: 'facebook',
  displayName: 'Facebook',
  addresses: {
    authorizationUrl: { default: `https://www.facebook.com/${graphVersion}/dialog/oauth`, meaning: "Facebook Login's authorization endpoint." },
    tokenUrl: { default: `https://graph.facebook.com/${graphVersion}/oauth/access_token`, meaning: "Facebook's token endpoint." },
    graphUrl: { default: `https://graph.facebook.com/${graphVersion}`, meaning: 'Graph API base (`/me` is read from it, with `appsecret_proof`).' },
  },
  // Nominal: Facebook sends no `iss` and issues no ID token, so nothing is compared with it.
  issuer: () => 'https://www.facebook.com',
  scopes: ['email', 'public_profile'],
  tokenEndpointAuthMethod: 'client_secret_post',
});
