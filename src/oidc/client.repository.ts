import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';

export interface NewClient {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  isPublic?: boolean;
  firstParty?: boolean;
  idTokenSigningAlg?: 'RS256' | 'ES256' | 'EdDSA';
  /** Identifiers of the registered APIs this app may get access tokens for (the `resource` parameter). */
  allowedResources?: string[];
  /** Shown on the sign-in pages. */
  logoUri?: string;
  /** The app's home page: where "return to the app" links lead when a sign-in has expired. */
  clientUri?: string;
  /** Starts a new sign-in at the app (OIDC third-party initiated login, https only); preferred over clientUri. */
  initiateLoginUri?: string;
  /** A legacy confidential app that cannot send PKCE (RFC 9700 asks it of every client): opted out, never a public one. */
  pkceOptional?: boolean;
  /** Where logout tokens are POSTed (OpenID Connect Back-Channel Logout 1.0). */
  backchannelLogoutUri?: string;
  /** The app needs the session id (`sid`) in its logout tokens. */
  backchannelLogoutSessionRequired?: boolean;
  /** The organization whose admins manage it; none: a platform app. */
  organizationId?: string;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
}

export interface ClientSummary {
  clientId: string;
  name: string;
  firstParty: boolean;
  isPublic: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  pkceOptional: boolean;
  backchannelLogoutUri: string | null;
  organizationId: string | null;
  createdAt: Date;
}

/** What a change of an app's settings needs to know of it (its row locked until the transaction ends). */
export interface ClientForUpdate {
  clientId: string;
  isPublic: boolean;
  grantTypes: string[];
}

const randomToken = (bytes: number) => randomBytes(bytes).toString('base64url');
const digest = (value: string) => createHash('sha256').update(value).digest();
/** Constant time whatever the lengths: both sides are compared as digests. */
const sameSecret = (expected: string, actual: string) => timingSafeEqual(digest(expected), digest(actual));

/**
 * The token endpoint looks its client up on every request; a short cache spares a query and a
 * secret decryption each time. Only found clients are cached (unknown ids always reach the
 * database). A deletion through this repository evicts at once; a deletion or a secret change made
 * by another process (the CLI) reaches a running instance within this delay.
 */
const metadataCacheMs = 10_000;

/**
 * Client registrations. Secrets are random (256 bits), so they are stored encrypted rather than
 * slow-hashed: the token endpoint compares them on every request and must stay fast.
 */
export class ClientRepository {
  readonly #db: Db;
  readonly #secrets: SecretBox;
  /** Kept as JSON: each caller parses its own copy, so the cached one cannot change under later callers. */
  readonly #metadataCache = new Map<string, { metadata: Promise<string | undefined>; until: number }>();

  constructor(db: Db, secrets: SecretBox) {
    this.#db = db;
    this.#secrets = secrets;
  }

  async create(db: Db, client: NewClient): Promise<RegisteredClient> {
    // Typed into commands and URLs: hex, so never a leading '-' that a command line takes for an option.
    const clientId = randomBytes(16).toString('hex');
    const clientSecret = client.isPublic ? undefined : randomToken(32);
    const grantTypes = client.grantTypes ?? ['authorization_code', 'refresh_token'];
    const metadata: Record<string, unknown> = {
      client_name: client.name,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
      grant_types: grantTypes,
      response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
      token_endpoint_auth_method: client.isPublic ? 'none' : 'client_secret_basic',
      ...(client.idTokenSigningAlg ? { id_token_signed_response_alg: client.idTokenSigningAlg } : {}),
      ...(client.allowedResources?.length ? { allowed_resources: client.allowedResources } : {}),
      ...(client.logoUri ? { logo_uri: client.logoUri } : {}),
      ...(client.clientUri ? { client_uri: client.clientUri } : {}),
      ...(client.initiateLoginUri ? { initiate_login_uri: client.initiateLoginUri } : {}),
      ...(client.pkceOptional ? { pkce_optional: true } : {}),
      ...(client.backchannelLogoutUri
        ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: client.backchannelLogoutSessionRequired ?? false }
        : {}),
    };
    await db
      .insertInto('clients')
      .values({
        id: clientId,
        name: client.name,
        metadata: JSON.stringify(metadata),
        secret_encrypted: clientSecret ? await this.#secrets.seal(clientSecret) : null,
        first_party: client.firstParty ?? false,
        organization_id: client.organizationId ?? null,
      })
      .execute();
    return clientSecret ? { clientId, clientSecret } : { clientId };
  }

  /** Every app, or one organization's. */
  async list(organizationId?: string): Promise<ClientSummary[]> {
    let query = this.#db.selectFrom('clients').selectAll().orderBy('created_at');
    if (organizationId !== undefined) query = query.where('organization_id', '=', organizationId);
    const rows = await query.execute();
    return rows.map((row) => {
      const metadata = row.metadata as {
        redirect_uris?: string[];
        post_logout_redirect_uris?: string[];
        grant_types?: string[];
        pkce_optional?: boolean;
        backchannel_logout_uri?: string;
      };
      return {
        clientId: row.id,
        name: row.name,
        firstParty: row.first_party,
        isPublic: row.secret_encrypted === null,
        redirectUris: metadata.redirect_uris ?? [],
        postLogoutRedirectUris: metadata.post_logout_redirect_uris ?? [],
        grantTypes: metadata.grant_types ?? [],
        pkceOptional: metadata.pkce_optional === true,
        backchannelLogoutUri: metadata.backchannel_logout_uri ?? null,
        organizationId: row.organization_id,
        createdAt: row.created_at,
      };
    });
  }

  async delete(db: Db, clientId: string): Promise<boolean> {
    const result = await db.deleteFrom('clients').where('id', '=', clientId).executeTakeFirst();
    this.#metadataCache.delete(clientId);
    return result.numDeletedRows > 0n;
  }

  /** The app, locked; with `organizationId`, only if it belongs to that organization. */
  async findForUpdate(trx: Db, clientId: string, organizationId?: string): Promise<ClientForUpdate | undefined> {
    let query = trx.selectFrom('clients').select(['id', 'metadata', 'secret_encrypted']).where('id', '=', clientId);
    if (organizationId !== undefined) query = query.where('organization_id', '=', organizationId);
    const row = await query.forUpdate().executeTakeFirst();
    if (!row) return undefined;
    const grantTypes = (row.metadata as { grant_types?: string[] }).grant_types ?? ['authorization_code'];
    return { clientId: row.id, isPublic: row.secret_encrypted === null, grantTypes };
  }

  /**
   * Gives a confidential app a new secret. The one it replaces stays accepted until
   * `previousAcceptedUntil` (replacing an earlier previous secret), or no longer at all when null.
   */
  async rotateSecret(trx: Db, clientId: string, previousAcceptedUntil: Date | null): Promise<string> {
    const { secret_encrypted: replaced } = await trx
      .selectFrom('clients')
      .select('secret_encrypted')
      .where('id', '=', clientId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const secret = randomToken(32);
    await trx
      .updateTable('clients')
      .set({ secret_encrypted: await this.#secrets.seal(secret), updated_at: sql`now()` })
      .where('id', '=', clientId)
      .execute();
    if (previousAcceptedUntil && replaced) {
      const previous = { secret_encrypted: replaced, expires_at: previousAcceptedUntil };
      await trx
        .insertInto('client_previous_secrets')
        .values({ client_id: clientId, ...previous })
        .onConflict((conflict) => conflict.column('client_id').doUpdateSet(previous))
        .execute();
    } else {
      await trx.deleteFrom('client_previous_secrets').where('client_id', '=', clientId).execute();
    }
    this.#metadataCache.delete(clientId);
    return secret;
  }

  async updateRedirectUris(trx: Db, clientId: string, uris: { redirectUris: string[]; postLogoutRedirectUris?: string[] | undefined }): Promise<void> {
    const changed = {
      redirect_uris: uris.redirectUris,
      ...(uris.postLogoutRedirectUris ? { post_logout_redirect_uris: uris.postLogoutRedirectUris } : {}),
    };
    await trx
      .updateTable('clients')
      .set({ metadata: sql`metadata || ${JSON.stringify(changed)}::jsonb`, updated_at: sql`now()` })
      .where('id', '=', clientId)
      .execute();
    this.#metadataCache.delete(clientId);
  }

  /**
   * Whether `secret` is the app's secret as stored now, or the one it replaced while still in its
   * grace period. Read past the cache: a rotation by another process counts at once.
   */
  async acceptsStoredSecret(clientId: string, secret: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('clients')
      .leftJoin('client_previous_secrets as previous', (join) =>
        join.onRef('previous.client_id', '=', 'clients.id').on('previous.expires_at', '>', sql<Date>`now()`),
      )
      .select(['clients.secret_encrypted as current', 'previous.secret_encrypted as previous'])
      .where('clients.id', '=', clientId)
      .executeTakeFirst();
    for (const sealed of [row?.current, row?.previous]) {
      if (sealed && sameSecret(await this.#secrets.open(sealed), secret)) return true;
    }
    return false;
  }

  /**
   * Creates or replaces a dynamically registered client (oidc-provider's validated metadata). Such a
   * client is never first-party, whatever its metadata says; its secret is sealed like any other.
   */
  async saveRegistration(db: Db, clientId: string, payload: AdapterPayload): Promise<void> {
    const { client_id: _id, client_secret: secret, first_party: _firstParty, ...metadata } = payload;
    const row = {
      name: typeof metadata.client_name === 'string' ? metadata.client_name : clientId,
      metadata: JSON.stringify(metadata),
      secret_encrypted: typeof secret === 'string' ? await this.#secrets.seal(secret) : null,
    };
    await db
      .insertInto('clients')
      .values({ id: clientId, ...row, first_party: false })
      .onConflict((conflict) => conflict.column('id').doUpdateSet({ ...row, updated_at: sql`now()` }))
      .execute();
    this.#metadataCache.delete(clientId);
  }

  /** The names of the registered apps among `clientIds`. */
  async names(clientIds: string[]): Promise<Map<string, string>> {
    if (!clientIds.length) return new Map();
    const rows = await this.#db.selectFrom('clients').select(['id', 'name']).where('id', 'in', clientIds).execute();
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  /** The apps among `clientIds` that take back-channel logout tokens, and whether each needs the session id in them. */
  async backchannelLogoutReceivers(db: Db, clientIds: string[]): Promise<Map<string, { sessionRequired: boolean }>> {
    if (!clientIds.length) return new Map();
    const rows = await db
      .selectFrom('clients')
      .select(['id', 'metadata'])
      .where('id', 'in', clientIds)
      .where(sql<string>`metadata->>'backchannel_logout_uri'`, 'is not', null)
      .execute();
    return new Map(rows.map((row) => [row.id, { sessionRequired: row.metadata.backchannel_logout_session_required === true }]));
  }

  /** The metadata oidc-provider validates and works with, secret decrypted, first-party flag included. */
  findProviderMetadata(clientId: string): Promise<AdapterPayload | undefined> {
    let entry = this.#metadataCache.get(clientId);
    if (!entry || entry.until <= Date.now()) {
      // The promise is cached, so that concurrent requests for one client share a single lookup.
      const metadata = this.#loadProviderMetadata(clientId).then((found) => found && JSON.stringify(found));
      entry = { metadata, until: Date.now() + metadataCacheMs };
      this.#metadataCache.set(clientId, entry);
      const forget = () => {
        if (this.#metadataCache.get(clientId)?.metadata === metadata) this.#metadataCache.delete(clientId);
      };
      metadata.then((found) => found || forget(), forget);
    }
    // Parsing the JSON is about three times cheaper than structuredClone of the object.
    return entry.metadata.then((json) => (json === undefined ? undefined : (JSON.parse(json) as AdapterPayload)));
  }

  async #loadProviderMetadata(clientId: string): Promise<AdapterPayload | undefined> {
    const row = await this.#db.selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirst();
    if (!row) return undefined;
    return {
      ...(row.metadata as AdapterPayload),
      client_id: row.id,
      ...(row.secret_encrypted ? { client_secret: await this.#secrets.open(row.secret_encrypted) } : {}),
      first_party: row.first_party,
    };
  }
}
