import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { AppError } from '../http/errors.ts';
import { adminApiResource, adminApiScope } from '../oidc/admin-api-resource.ts';
import { adminCenterClientId } from '../oidc/admin-center-client.ts';
import { loadPublishedKeys, signingKeysFingerprint } from '../oidc/signing-keys.ts';
import type { AdminApiClientRepository } from './admin-api-client.repository.ts';
import { type AdminPrincipal, type AdminPrincipalDependencies, accountPrincipal, clientPrincipal } from './admin-principal.ts';

export interface AdminApiTokenDependencies extends AdminPrincipalDependencies {
  issuer: string;
  secretBox: SecretBox;
  accounts: AccountRepository;
  adminApiClients: AdminApiClientRepository;
  keyRefreshSeconds: number;
}

const privateMembers = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']);
const publicPart = (jwk: JWK): JWK => Object.fromEntries(Object.entries(jwk).filter(([member]) => !privateMembers.has(member))) as JWK;

const unauthenticated = (error?: string) =>
  new AppError('admin.unauthenticated', 401, {
    headers: { 'WWW-Authenticate': error ? `Bearer realm="admin-api", error="${error}"` : 'Bearer realm="admin-api"' },
  });

/**
 * Turns the bearer access token of an admin API request into a principal. The token is a JWT this
 * server signed for the admin API's audience: either the admin center's, for the person signed in
 * there, or a machine client's (client_credentials) registered with `api-clients create`.
 */
export class AdminApiTokens {
  readonly #deps: AdminApiTokenDependencies;
  #keys: { fingerprint: string; checkedAt: number; keySet: ReturnType<typeof createLocalJWKSet> } | undefined;

  constructor(deps: AdminApiTokenDependencies) {
    this.#deps = deps;
  }

  async principal(authorization: string | undefined): Promise<AdminPrincipal> {
    const token = /^Bearer ([\w.~+/-]+=*)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw unauthenticated();
    const { issuer, db, accounts, adminApiClients } = this.#deps;
    const payload = await jwtVerify(token, await this.#keySet(), { issuer, audience: adminApiResource(issuer), typ: 'at+jwt' }).then(
      (verified) => verified.payload,
      () => {
        throw unauthenticated('invalid_token');
      },
    );
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(adminApiScope) || typeof payload.client_id !== 'string' || typeof payload.sub !== 'string') throw unauthenticated('invalid_token');
    if (payload.sub === payload.client_id) {
      const registered = await adminApiClients.find(db, payload.client_id);
      if (!registered) throw unauthenticated('invalid_token');
      return clientPrincipal(registered);
    }
    // A person's token counts only from the admin center: another app cannot act as its user here.
    if (payload.client_id !== adminCenterClientId) throw unauthenticated('invalid_token');
    const account = await accounts.findById(payload.sub);
    if (!account || account.disabled_at) throw unauthenticated('invalid_token');
    return accountPrincipal(this.#deps, account.id);
  }

  /** The published signing keys, reloaded when they changed (checked at most every key-refresh period). */
  async #keySet() {
    const { db, secretBox, keyRefreshSeconds } = this.#deps;
    if (this.#keys && Date.now() - this.#keys.checkedAt < keyRefreshSeconds * 1000) return this.#keys.keySet;
    const fingerprint = await signingKeysFingerprint(db);
    if (this.#keys?.fingerprint !== fingerprint) {
      const { keys } = await loadPublishedKeys(db, secretBox);
      this.#keys = { fingerprint, checkedAt: Date.now(), keySet: createLocalJWKSet({ keys: keys.map(publicPart) }) };
    } else {
      this.#keys.checkedAt = Date.now();
    }
    return this.#keys.keySet;
  }
}
