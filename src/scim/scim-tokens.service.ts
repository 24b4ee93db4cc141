import { createHash, randomBytes } from 'node:crypto';
import { type AdminActor, type AdminPrincipal, authorize, notFound } from '../admin/admin-principal.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { recordScimChange } from './scim-changes.ts';
import type { ScimTokenRepository } from './scim-token.repository.ts';

export interface ScimTokensDependencies {
  db: Db;
  issuer: string;
  tokens: ScimTokenRepository;
  audit: AuditLog;
}

export interface IssuedScimToken {
  id: string;
  /** Where the IdP sends its requests: the organization comes from the token, never from the URL. */
  baseUrl: string;
  /** Shown once: only its SHA-256 is stored. */
  token: string;
  expiresAt: Date;
}

export interface ScimTokenSummary {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export const scimBasePath = '/scim/v2';
export const defaultScimTokenDays = 365;
const tokenPrefix = 'scim_';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export const scimUnauthenticated = () =>
  new AppError('scim.unauthenticated', 401, { headers: { 'WWW-Authenticate': 'Bearer realm="scim", error="invalid_token"' } });

/**
 * The bearer tokens an organization's IdP provisions with. A token is 256 random bits, stored as
 * its SHA-256 with an expiry; it acts as an owner of its one organization (provisioning disables
 * and removes people, and grants roles up to owner), so only an owner or an operator issues one.
 */
export class ScimTokensService {
  readonly #deps: ScimTokensDependencies;

  constructor(deps: ScimTokensDependencies) {
    this.#deps = deps;
  }

  async issue(actor: AdminActor, organizationId: string, options: { expiresInDays: number }): Promise<IssuedScimToken> {
    authorize(actor.principal, 'owner', organizationId);
    const { db, tokens, audit, issuer } = this.#deps;
    const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + options.expiresInDays * 86_400_000);
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await tokens.insert(trx, { organizationId, tokenHash: hashOf(token), expiresAt });
      await recordScimChange(audit, trx, actor, {
        organizationId,
        action: 'scim_token.issued',
        target: { type: 'scim_token', id: inserted.id },
        before: null,
        after: { expiresAt },
      });
      return inserted;
    });
    return { id: row.id, baseUrl: `${issuer}${scimBasePath}`, token, expiresAt };
  }

  async list(actor: AdminActor, organizationId: string): Promise<ScimTokenSummary[]> {
    authorize(actor.principal, 'owner', organizationId);
    const rows = await this.#deps.tokens.list(this.#deps.db, organizationId);
    return rows.map((row) => ({ id: row.id, createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at, lastUsedAt: row.last_used_at }));
  }

  async revoke(actor: AdminActor, organizationId: string, tokenId: string): Promise<void> {
    authorize(actor.principal, 'owner', organizationId);
    const { db, tokens, audit } = this.#deps;
    await db.transaction().execute(async (trx) => {
      if (!(await tokens.revoke(trx, organizationId, tokenId))) throw notFound();
      await recordScimChange(audit, trx, actor, {
        organizationId,
        action: 'scim_token.revoked',
        target: { type: 'scim_token', id: tokenId },
        before: null,
        after: null,
      });
    });
  }

  /** The principal of a SCIM request's `Authorization: Bearer` token; 401 for anything but a valid one. */
  async principal(authorization: string | undefined): Promise<Extract<AdminPrincipal, { kind: 'scim' }>> {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token?.startsWith(tokenPrefix)) throw scimUnauthenticated();
    const row = await this.#deps.tokens.useValid(this.#deps.db, hashOf(token));
    if (!row) throw scimUnauthenticated();
    return { kind: 'scim', tokenId: row.id, organizationId: row.organization_id };
  }
}
