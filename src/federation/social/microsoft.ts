import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { FederationError } from '../federation-error.ts';
import type { ClaimsRequest, OidcHooks } from '../oidc/oidc.connection.ts';
import type { UpstreamProfile } from '../upstream-connection.ts';

const tenantPlaceholder = '{tenantid}';

/** `https://login.microsoftonline.com/common/v2.0` → `https://login.microsoftonline.com/{tenantid}/v2.0`. */
export function tenantIssuerTemplate(issuer: string): string {
  return issuer.replace(/^(https?:\/\/[^/]+\/)[^/]+/, `$1${tenantPlaceholder}`);
}

/** Microsoft marks an address as verified with `xms_edov` (email domain owner verified) or `email_verified`. */
const isTrue = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';

/** The tenant the token says it was issued by; read before validation only to choose the issuer it must then name. */
async function tenantOf(response: Response): Promise<string> {
  const body = (await response.clone().json()) as { id_token?: unknown };
  const tid = typeof body.id_token === 'string' ? decodeJwt(body.id_token).tid : undefined;
  if (typeof tid !== 'string' || !/^[\w-]{1,64}$/.test(tid))
    throw new FederationError('federation.oidc_invalid_response', { message: 'ID token without a valid tid' });
  return tid;
}

/**
 * Entra ID's multi-tenant endpoints (common, organizations, consumers) publish their issuer as a
 * template, `https://login.microsoftonline.com/{tenantid}/v2.0`: an ID token is valid when its
 * `iss` is the template filled with the token's own `tid`. openid-client applies that rule only
 * to the real login.microsoftonline.com origin, so this module applies it itself (to sovereign
 * clouds and loopback stand-ins too): discovery accepts the template, and the code is redeemed
 * with oauth4webapi (openid-client's foundation), whose steps can be given the tenant's issuer.
 * (The provider's settings: social-providers/microsoft.ts.)
 */
export const microsoftHooks: OidcHooks = {
  async configure(settings, clientAuth, options) {
    const wellKnown = new URL(`${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    const config = await client.discovery(wellKnown, settings.clientId, undefined, clientAuth, options);
    const named = config.serverMetadata().issuer;
    if (named !== settings.issuer && named !== tenantIssuerTemplate(settings.issuer)) {
      throw new Error(`the metadata names the issuer ${named}, expected ${settings.issuer} or its tenant template`);
    }
    return config;
  },

  async claims({ config, callbackUrl, checks, clientAuth, allowInsecureRequests, fetch }: ClaimsRequest) {
    const { supportsPKCE: _helper, ...metadata } = config.serverMetadata();
    const oauthClient: oauth.Client = { client_id: config.clientMetadata().client_id };
    const options = {
      [oauth.allowInsecureRequests]: allowInsecureRequests,
      [oauth.customFetch]: fetch,
      signal: AbortSignal.timeout((config.timeout ?? 30) * 1000),
    };
    const parameters = oauth.validateAuthResponse(metadata, oauthClient, callbackUrl, checks.state);
    const redirectUri = `${callbackUrl.origin}${callbackUrl.pathname}`;
    const response = await oauth.authorizationCodeGrantRequest(metadata, oauthClient, clientAuth, parameters, redirectUri, checks.codeVerifier, options);
    const issuer = metadata.issuer.includes(tenantPlaceholder) ? metadata.issuer.replace(tenantPlaceholder, await tenantOf(response)) : metadata.issuer;
    const tokens = await oauth.processAuthorizationCodeResponse({ ...metadata, issuer }, oauthClient, response, {
      expectedNonce: checks.nonce,
      requireIdToken: true,
    });
    return { ...oauth.getValidatedIdTokenClaims(tokens) };
  },

  /** One person is one object (`oid`) in one tenant (`tid`): `sub` is pairwise per app, so it is not used. */
  profile(claims, mapped): UpstreamProfile {
    const { tid, oid } = claims;
    if (typeof tid !== 'string' || typeof oid !== 'string' || !tid || !oid) {
      throw new FederationError('federation.oidc_invalid_response', { message: 'ID token without tid and oid' });
    }
    return {
      ...mapped,
      subject: `${tid}:${oid}`,
      // The email claim is whatever the tenant's admin or user typed unless Microsoft says the domain owner verified it.
      emailVerified: mapped.email !== undefined && (isTrue(claims.xms_edov) || isTrue(claims.email_verified)),
    };
  },
};
