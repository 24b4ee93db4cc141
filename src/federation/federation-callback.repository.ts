import { sql } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { CallbackParams } from './upstream-connection.ts';

const callbackTtlSeconds = 300;

/**
 * What an upstream sent to our fixed callback URL, kept (sealed) for the few seconds until the
 * browser reaches the interaction's resume URL, where the interaction cookie is sent again.
 */
export class FederationCallbackRepository {
  readonly #secrets: SecretBox;

  constructor(secrets: SecretBox) {
    this.#secrets = secrets;
  }

  async save(db: Db, id: string, uid: string, connectionId: string, params: CallbackParams): Promise<void> {
    await db
      .insertInto('federation_callbacks')
      .values({
        id,
        uid,
        connection_id: connectionId,
        payload_encrypted: await this.#secrets.seal(JSON.stringify(params)),
        expires_at: sql<Date>`now() + make_interval(secs => ${callbackTtlSeconds})`,
      })
      .execute();
  }

  /** Takes (and deletes) the callback stored for this interaction; undefined when unknown, used or expired. */
  async take(db: Db, id: string, uid: string): Promise<{ connectionId: string; params: CallbackParams } | undefined> {
    const row = await db
      .deleteFrom('federation_callbacks')
      .where('id', '=', id)
      .where('uid', '=', uid)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning(['connection_id', 'payload_encrypted'])
      .executeTakeFirst();
    if (!row) return undefined;
    return { connectionId: row.connection_id, params: JSON.parse(await this.#secrets.open(row.payload_encrypted)) as CallbackParams };
  }

  async purgeExpired(db: Db): Promise<void> {
    await db.deleteFrom('federation_callbacks').where('expires_at', '<=', sql<Date>`now()`).execute();
  }
}
