import type { Db } from '../db/database.ts';

export class RecoveryCodeRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** A new set voids the old one entirely. */
  async replaceAll(trx: Db, accountId: string, codeHashes: string[]): Promise<void> {
    await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
    await trx
      .insertInto('recovery_codes')
      .values(codeHashes.map((code_hash) => ({ account_id: accountId, code_hash })))
      .execute();
  }

  /** Uses a code up in one conditional UPDATE: of parallel tries with one code, exactly one wins. */
  async consume(trx: Db, accountId: string, codeHash: string, at: Date): Promise<boolean> {
    const result = await trx
      .updateTable('recovery_codes')
      .set({ consumed_at: at })
      .where('account_id', '=', accountId)
      .where('code_hash', '=', codeHash)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async countUnused(accountId: string, db: Db = this.#db): Promise<number> {
    const row = await db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('account_id', '=', accountId)
      .where('consumed_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async deleteAll(trx: Db, accountId: string): Promise<boolean> {
    const result = await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
