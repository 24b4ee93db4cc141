import { hkdfSync } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import type { Config } from '../config.ts';
import { adminApiResource } from './admin-api-resource.ts';

/**
 * The admin center is a first-party relying party of this server: code flow with PKCE, its tokens
 * kept server side. Its secret is derived from KEY_ENCRYPTION_SECRET, so every instance knows it
 * and nothing needs registering.
 */
export const adminCenterClientId = 'admin-center';
export const adminCenterCallbackPath = '/admin/signed-in';

export function adminCenterClientSecret(config: Config): string {
  return Buffer.from(hkdfSync('sha256', config.keyEncryptionSecret, 'signin-admin-center', 'client_secret', 32)).toString('base64url');
}

export function adminCenterClient(config: Config): ClientMetadata {
  return {
    client_id: adminCenterClientId,
    client_secret: adminCenterClientSecret(config),
    client_name: 'Admin center',
    redirect_uris: [`${config.issuer}${adminCenterCallbackPath}`],
    post_logout_redirect_uris: [`${config.issuer}/admin`],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'client_secret_basic',
    first_party: true,
    allowed_resources: [adminApiResource(config.issuer)],
  };
}
