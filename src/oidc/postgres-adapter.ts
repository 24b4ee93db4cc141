import { CompiledQuery, sql } from 'kysely';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { Db } from '../db/database.ts';
import type { TransactionScope } from '../db/transaction-scope.ts';
import type { ClientRepository } from './client.repository.ts';

const alreadyConsumed = (model: string) =>
  model === 'PushedAuthorizationRequest'
    ? new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used')
    : new errors.InvalidGrant(`${model} already used`);

/**
 * The statements of every request (a sign-in runs about a dozen of them, a token request two to
 * five), written once: the query builder would build and compile each of them again on every call.
 */
const statements = {
  upsert: `insert into oidc_models (model, id, payload, grant_id, user_code, uid, account_id, expires_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8)
    on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
      uid = excluded.uid, account_id = excluded.account_id, expires_at = excluded.expires_at`,
  consume: 'update oidc_models set consumed_at = now() where model = $1 and id = $2 and consumed_at is null',
  findBy: (column: 'id' | 'uid' | 'user_code') =>
    `select payload, consumed_at from oidc_models where model = $1 and ${column} = $2 and (expires_at is null or expires_at > now())`,
};
const findStatements = { id: statements.findBy('id'), uid: statements.findBy('uid'), user_code: statements.findBy('user_code') };

/**
 * Stores every oidc-provider model in the one `oidc_models` table, keyed by (model, id), with the
 * lookup columns the provider queries by (grant, interaction uid, device user code) pulled out of
 * the payload so that each lookup is one indexed query; account_id lets everything of one account
 * be revoked at once (password reset). Clients come from the `clients` table. Inside a token
 * request every call goes through that request's transaction (`TransactionScope`), so that a
 * refresh either rotates completely or not at all.
 */
export class PostgresAdapter implements Adapter {
  readonly #scope: Pick<TransactionScope, 'executor'>;
  readonly #model: string;

  /** `scope`: a request's TransactionScope, or `{ executor: trx }` to write in a transaction of one's own. */
  constructor(scope: Pick<TransactionScope, 'executor'>, model: string) {
    this.#scope = scope;
    this.#model = model;
  }

  get #db(): Db {
    return this.#scope.executor;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    const parameters = [
      this.#model,
      id,
      JSON.stringify(payload),
      payload.grantId ?? null,
      payload.userCode ?? null,
      payload.uid ?? null,
      payload.accountId ?? null,
      expiresAt,
    ];
    await this.#db.executeQuery(CompiledQuery.raw(statements.upsert, parameters));
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('user_code', userCode);
  }

  /**
   * oidc-provider checks `consumed` on what it found, then consumes: two requests racing with one
   * code or refresh token would both pass. The conditional update lets exactly one of them win.
   */
  async consume(id: string): Promise<void> {
    const result = await this.#db.executeQuery(CompiledQuery.raw(statements.consume, [this.#model, id]));
    if (result.numAffectedRows === 0n) throw alreadyConsumed(this.#model);
  }

  async destroy(id: string): Promise<void> {
    await this.#db.deleteFrom('oidc_models').where('model', '=', this.#model).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
  }

  async #findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.#db.executeQuery<{ payload: unknown; consumed_at: Date | null }>(
      CompiledQuery.raw(findStatements[column], [this.#model, value]),
    );
    const [row] = rows;
    if (!row) return undefined;
    const payload = row.payload as AdapterPayload;
    return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
  }
}

/**
 * Clients live in the `clients` table. The CLI and the admin center register them through the
 * repository; the provider writes here only for dynamic registration (RFC 7591 / 7592: create,
 * update, delete with the registration access token).
 */
export class ClientAdapter implements Adapter {
  readonly #scope: TransactionScope;
  readonly #clients: ClientRepository;

  constructor(scope: TransactionScope, clients: ClientRepository) {
    this.#scope = scope;
    this.#clients = clients;
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#clients.findProviderMetadata(id);
  }

  upsert(id: string, payload: AdapterPayload): Promise<void> {
    return this.#clients.saveRegistration(this.#scope.executor, id, payload);
  }
  async destroy(id: string): Promise<void> {
    await this.#clients.delete(this.#scope.executor, id);
  }
  findByUid(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  findByUserCode(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  consume(): Promise<void> {
    return Promise.resolve();
  }
  revokeByGrantId(): Promise<void> {
    return Promise.resolve();
  }
}

export function createAdapterFactory(scope: TransactionScope, clients: ClientRepository): (model: string) => Adapter {
  return (model) => (model === 'Client' ? new ClientAdapter(scope, clients) : new PostgresAdapter(scope, model));
}

/**
 * Deletes expired rows in bounded batches, so that a backlog never turns into one long
 * transaction; SKIP LOCKED lets several instances purge side by side.
 */
export async function purgeExpiredModels(db: Db, batchSize: number, maxBatches = 100): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const result = await sql<{ count: string }>`
      with expired as (
        select model, id from oidc_models
        where expires_at < now() - interval '5 minutes'
        limit ${batchSize}
        for update skip locked
      )
      delete from oidc_models using expired
      where oidc_models.model = expired.model and oidc_models.id = expired.id`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
