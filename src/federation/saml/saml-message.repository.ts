import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';

/** AuthnRequests we sent (answerable until they expire) and assertions already used (never twice). */
export class SamlMessageRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async saveRequest(db: Db, id: string, connectionId: string, stateSealed: string, ttlSeconds: number): Promise<void> {
    await db
      .insertInto('saml_requests')
      .values({ id, connection_id: connectionId, state_encrypted: stateSealed, expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})` })
      .execute();
  }

  findRequest(id: string, connectionId: string): Promise<{ createdAt: Date; stateSealed: string } | undefined> {
    return this.#db
      .selectFrom('saml_requests')
      .select(['created_at as createdAt', 'state_encrypted as stateSealed'])
      .where('id', '=', id)
      .where('connection_id', '=', connectionId)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
  }

  /** Records an assertion as used; false when it was used before (a replay). */
  async markAssertionUsed(db: Db, connectionId: string, assertionId: string, keepUntil: Date): Promise<boolean> {
    const inserted = await db
      .insertInto('saml_assertions_seen')
      .values({ connection_id: connectionId, assertion_id: assertionId, expires_at: keepUntil })
      .onConflict((oc) => oc.doNothing())
      .returning('assertion_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async purgeExpired(db: Db): Promise<void> {
    await db.deleteFrom('saml_requests').where('expires_at', '<=', sql<Date>`now()`).execute();
    await db.deleteFrom('saml_assertions_seen').where('expires_at', '<=', sql<Date>`now()`).execute();
  }
}
