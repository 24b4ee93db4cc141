import type { Db } from '../db/database.ts';
import type { signingAlgorithms } from './signing-keys.ts';

export interface ResourceServer {
  identifier: string;
  name: string;
  scopes: string[];
  signingAlg: (typeof signingAlgorithms)[number];
  accessTokenTtlSeconds: number | null;
}

const cacheMs = 30_000;

/**
 * APIs that accept our JWT access tokens (the `resource` parameter). Looked up on every token
 * request, so entries are cached briefly in memory; a change reaches all instances within 30 s.
 */
export class ResourceServerRegistry {
  readonly #db: Db;
  readonly #cache = new Map<string, { value: ResourceServer | undefined; until: number }>();

  constructor(db: Db) {
    this.#db = db;
  }

  async find(identifier: string): Promise<ResourceServer | undefined> {
    const cached = this.#cache.get(identifier);
    if (cached && cached.until > Date.now()) return cached.value;
    const row = await this.#db.selectFrom('resource_servers').selectAll().where('identifier', '=', identifier).executeTakeFirst();
    const value = row && {
      identifier: row.identifier,
      name: row.name,
      scopes: row.scopes,
      signingAlg: row.signing_alg as ResourceServer['signingAlg'],
      accessTokenTtlSeconds: row.access_token_ttl_seconds,
    };
    this.#cache.set(identifier, { value, until: Date.now() + cacheMs });
    return value;
  }

  async register(server: Omit<ResourceServer, 'accessTokenTtlSeconds'> & { accessTokenTtlSeconds?: number }): Promise<void> {
    await this.#db
      .insertInto('resource_servers')
      .values({
        identifier: server.identifier,
        name: server.name,
        scopes: server.scopes,
        signing_alg: server.signingAlg,
        access_token_ttl_seconds: server.accessTokenTtlSeconds ?? null,
      })
      .execute();
    this.#cache.delete(server.identifier);
  }

  list(): Promise<ResourceServer[]> {
    return this.#db
      .selectFrom('resource_servers')
      .select(['identifier', 'name', 'scopes', 'signing_alg as signingAlg', 'access_token_ttl_seconds as accessTokenTtlSeconds'])
      .orderBy('identifier')
      .execute() as Promise<ResourceServer[]>;
  }
}
