import type { Db } from '../db/database.ts';

/** When a browser session last confirmed it's the account holder (My account asks before a factor change). */
export class SessionConfirmationRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async record(trx: Db, sessionUid: string, accountId: string, method: string, at: Date): Promise<void> {
    await trx
      .insertInto('session_confirmations')
      .values({ session_uid: sessionUid, account_id: accountId, method, confirmed_at: at })
      .onConflict((oc) => oc.column('session_uid').doUpdateSet({ account_id: accountId, method, confirmed_at: at }))
      .execute();
  }

  async confirmedSince(sessionUid: string, accountId: string, since: Date, db: Db = this.#db): Promise<boolean> {
    const row = await db
      .selectFrom('session_confirmations')
      .select('method')
      .where('session_uid', '=', sessionUid)
      .where('account_id', '=', accountId)
      .where('confirmed_at', '>', since)
      .executeTakeFirst();
    return row !== undefined;
  }
}
