import { createHmac } from 'node:crypto';
import * as client from 'openid-client';
import { z } from 'zod';
import type { SocialClient } from '../../social-providers/social-providers.ts';
import { FederationError } from '../federation-error.ts';
import type { ClaimsRequest, OidcHooks } from '../oidc/oidc.connection.ts';

const meSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  email: z.string().optional(),
});

/** Facebook's proof that a Graph call comes from the app's server: HMAC-SHA256 of the access token, keyed with the app secret. */
export function appSecretProof(accessToken: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

/**
 * Facebook Login is OAuth 2, not OpenID Connect: the code flow (state and PKCE) goes through
 * openid-client with fixed endpoints, then the profile comes from the Graph API's /me, every call
 * signed with appsecret_proof. The Graph API does not say whether the email is verified, so it
 * is never trusted as such (the person signs in to link, see social-linking.ts). The provider's
 * settings and addresses: social-providers/facebook.ts.
 */
export function facebookHooks(configured: SocialClient): OidcHooks {
  const urls = { authorizationUrl: configured.authorizationUrl!, tokenUrl: configured.tokenUrl!, graphUrl: configured.graphUrl!.replace(/\/$/, '') };
  return {
    openid: false,
    async configure(settings, clientAuth, options) {
      const config = new client.Configuration(
        { issuer: settings.issuer, authorization_endpoint: urls.authorizationUrl, token_endpoint: urls.tokenUrl },
        settings.clientId,
        undefined,
        clientAuth,
      );
      for (const extension of options.execute ?? []) extension(config);
      if (options[client.customFetch]) config[client.customFetch] = options[client.customFetch];
      if (options.timeout) config.timeout = options.timeout;
      return config;
    },
    async claims({ config, callbackUrl, checks, clientSecret }: ClaimsRequest) {
      if (!clientSecret) throw new FederationError('federation.oidc_invalid_response', { message: 'no app secret for appsecret_proof' });
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: checks.codeVerifier, expectedState: checks.state });
      const me = new URL(`${urls.graphUrl}/me`);
      me.searchParams.set('fields', 'id,name,first_name,last_name,email');
      me.searchParams.set('appsecret_proof', appSecretProof(tokens.access_token, clientSecret));
      const response = await client.fetchProtectedResource(config, tokens.access_token, me, 'GET');
      if (!response.ok) throw new Error(`the Graph API answered ${response.status}`);
      const profile = meSchema.parse(await response.json());
      return { sub: profile.id, name: profile.name, given_name: profile.first_name, family_name: profile.last_name, email: profile.email };
    },
  };
}
