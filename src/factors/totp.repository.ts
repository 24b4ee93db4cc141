import type { Db } from '../db/database.ts';
import type { TotpAuthenticatorRow } from '../db/schema.ts';

export class TotpRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  find(accountId: string, db: Db = this.#db): Promise<TotpAuthenticatorRow | undefined> {
    return db.selectFrom('totp_authenticators').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  }

  /** A new enrolment replaces an unconfirmed one; a confirmed app must be removed first. */
  async savePending(trx: Db, accountId: string, secretEncrypted: string): Promise<boolean> {
    const row = await trx
      .insertInto('totp_authenticators')
      .values({ account_id: accountId, secret_encrypted: secretEncrypted })
      .onConflict((oc) =>
        oc
          .column('account_id')
          .doUpdateSet({ secret_encrypted: secretEncrypted, last_used_step: null, created_at: new Date() })
          .where('totp_authenticators.confirmed_at', 'is', null),
      )
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Records `step` as used, only if it is later than every step used before: one conditional
   * UPDATE, so two requests with the same code cannot both pass. `confirm` marks the enrolment done.
   */
  async advanceStep(trx: Db, id: string, step: number, options: { confirmAt?: Date } = {}): Promise<boolean> {
    let query = trx
      .updateTable('totp_authenticators')
      .set({ last_used_step: step, ...(options.confirmAt ? { confirmed_at: options.confirmAt } : {}) })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step as never)]));
    query = options.confirmAt ? query.where('confirmed_at', 'is', null) : query.where('confirmed_at', 'is not', null);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async delete(trx: Db, accountId: string): Promise<boolean> {
    const result = await trx.deleteFrom('totp_authenticators').where('account_id', '=', accountId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
