import type { Db } from '../../db/database.ts';
import type { AdminCenterSessionRow } from '../../db/schema.ts';

export interface NewAdminCenterSession {
  idHash: string;
  accountId: string;
  accessTokenEncrypted: string;
  idTokenEncrypted: string;
  expiresAt: Date;
}

/** The admin center's server-side sessions, keyed by the hash of the cookie's random id. */
export class AdminCenterSessionRepository {
  async insert(trx: Db, session: NewAdminCenterSession): Promise<void> {
    await trx
      .insertInto('admin_center_sessions')
      .values({
        id_hash: session.idHash,
        account_id: session.accountId,
        access_token_encrypted: session.accessTokenEncrypted,
        id_token_encrypted: session.idTokenEncrypted,
        expires_at: session.expiresAt,
      })
      .execute();
  }

  find(db: Db, idHash: string): Promise<AdminCenterSessionRow | undefined> {
    return db.selectFrom('admin_center_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  }

  async delete(trx: Db, idHash: string): Promise<void> {
    await trx.deleteFrom('admin_center_sessions').where('id_hash', '=', idHash).execute();
  }

  /** Sessions that expired are of no use: dropped when a new one is written. */
  async deleteExpired(trx: Db, now: Date): Promise<void> {
    await trx.deleteFrom('admin_center_sessions').where('expires_at', '<=', now).execute();
  }
}
