import { socialProvider } from './social-provider-settings.ts';

/** Microsoft (Entra ID, work and personal accounts), multi-tenant by default (tenant issuers: federation/social/microsoft.ts). */
export const microsoft = socialProvider({
  name: 'microsoft',
  displayName: 'Microsoft',
  addresses: {
    issuer: {
      default: 'https://login.microsoftonline.com/common/v2.0',
      meaning:
        "Entra ID issuer: `common`, `organizations`, `consumers` or one tenant. The multi-tenant ones publish the `{tenantid}` template, checked against each ID token's `tid`.",
    },
  },
  issuer: (addresses) => addresses.issuer,
  scopes: ['openid', 'email', 'profile'],
  tokenEndpointAuthMethod: 'client_secret_post',
});
