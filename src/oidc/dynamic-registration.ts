import { randomBytes } from 'node:crypto';
import { errors } from 'oidc-provider';
import type { Db } from '../db/database.ts';
import { PostgresAdapter } from './postgres-adapter.ts';

/**
 * Dynamic client registration (RFC 7591, 7592) through oidc-provider's own `registration` and
 * `registrationManagement` features. Only an initial access token lets an app register; every such
 * token carries this policy, and oidc-provider hands it on to the registration access token, so the
 * same rules hold when the registration is later updated.
 */
export const registrationPolicyName = 'registration-rules';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);
/** The grants the CLI registers (`clients create --grant-types`); anything else is refused. */
const allowedGrantTypes = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
/** Our own metadata (extraClientMetadata): an operator decides them, never the app registering itself. */
const operatorOnlyProperties = ['first_party', 'allowed_resources', 'pkce_optional'];
/** URLs the server would fetch itself: a registering app could point them anywhere (SSRF). */
const fetchedByServer = ['jwks_uri', 'sector_identifier_uri', 'request_uris'];

const invalidMetadata = (description: string) => new errors.InvalidClientMetadata(description);

function parsedUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** https, or plain http on the loopback (a developer's machine, a native app's RFC 8252 redirect). */
export function isSecureOrLoopback(value: unknown): boolean {
  const url = parsedUrl(value);
  if (!url) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** The rules of the `registration-rules` policy: throws invalid_redirect_uri or invalid_client_metadata. */
export function checkRegistration(properties: Record<string, unknown>): void {
  for (const name of ['redirect_uris', 'post_logout_redirect_uris']) {
    if (!asList(properties[name]).every(isSecureOrLoopback)) {
      throw new errors.InvalidRedirectUri(`${name} must use https (plain http only on localhost or 127.0.0.1)`);
    }
  }
  for (const name of operatorOnlyProperties) {
    if (properties[name] !== undefined) throw invalidMetadata(`${name} is set by an operator, not by registration`);
  }
  for (const name of fetchedByServer) {
    if (properties[name] !== undefined) throw invalidMetadata(`${name} is not accepted at registration`);
  }
  const grantTypes = asList(properties.grant_types ?? ['authorization_code']);
  const unknownGrant = grantTypes.find((grant) => typeof grant !== 'string' || !allowedGrantTypes.has(grant));
  if (unknownGrant !== undefined) throw invalidMetadata(`grant type ${String(unknownGrant)} is not allowed`);
  if (properties.token_endpoint_auth_method === 'none' && grantTypes.includes('client_credentials')) {
    throw invalidMetadata('a public client cannot use client_credentials');
  }
  for (const name of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri']) {
    const protocol = properties[name] === undefined ? 'https:' : parsedUrl(properties[name])?.protocol;
    if (protocol !== 'https:' && protocol !== 'http:') throw invalidMetadata(`${name} must be a web address`);
  }
  if (properties.initiate_login_uri !== undefined && parsedUrl(properties.initiate_login_uri)?.protocol !== 'https:') {
    throw invalidMetadata('initiate_login_uri must use https');
  }
  // The server posts logout tokens there: never to a plain-http or loopback address of a stranger's choosing.
  if (properties.backchannel_logout_uri !== undefined && parsedUrl(properties.backchannel_logout_uri)?.protocol !== 'https:') {
    throw invalidMetadata('backchannel_logout_uri must use https');
  }
}

export interface InitialAccessToken {
  token: string;
  expiresAt: Date;
}

/**
 * An initial access token, stored as oidc-provider's InitialAccessToken model (opaque: the value is
 * the jti, 256 random bits) through the same adapter the provider reads it with.
 */
export async function issueInitialAccessToken(trx: Db, expiresInSeconds: number): Promise<InitialAccessToken> {
  const token = randomBytes(32).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + expiresInSeconds;
  await new PostgresAdapter({ executor: trx }, 'InitialAccessToken').upsert(
    token,
    { iat, exp, jti: token, kind: 'InitialAccessToken', policies: [registrationPolicyName] },
    expiresInSeconds,
  );
  return { token, expiresAt: new Date(exp * 1000) };
}
