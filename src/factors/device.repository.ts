import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { AccountDeviceRow } from '../db/schema.ts';

export const deviceCodeMaxAttempts = 5;

/** The browsers (device cookies, stored hashed) each account has signed in from, and the codes mailed to confirm a new one. */
export class DeviceRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  find(accountId: string, deviceHash: string, db: Db = this.#db): Promise<AccountDeviceRow | undefined> {
    return db.selectFrom('account_devices').selectAll().where('account_id', '=', accountId).where('device_hash', '=', deviceHash).executeTakeFirst();
  }

  listOfAccount(accountId: string, db: Db = this.#db): Promise<AccountDeviceRow[]> {
    return db.selectFrom('account_devices').selectAll().where('account_id', '=', accountId).orderBy('last_seen_at', 'desc').execute();
  }

  /** Records a sign-in from this browser; `trustedUntil` set means "trust this device". Returns whether the row is new. */
  async remember(trx: Db, accountId: string, deviceHash: string, userAgent: string, at: Date, trustedUntil?: Date): Promise<boolean> {
    const trust = trustedUntil ? { trusted_at: at, trusted_until: trustedUntil } : {};
    const row = await trx
      .insertInto('account_devices')
      .values({ account_id: accountId, device_hash: deviceHash, user_agent: userAgent, created_at: at, last_seen_at: at, ...trust })
      .onConflict((oc) => oc.columns(['account_id', 'device_hash']).doUpdateSet({ last_seen_at: at, user_agent: userAgent, ...trust }))
      // xmax is 0 on a row this statement inserted, not on one it updated.
      .returning(sql<boolean>`xmax = 0`.as('inserted'))
      .executeTakeFirstOrThrow();
    return row.inserted;
  }

  async countOfAccount(accountId: string, db: Db = this.#db): Promise<number> {
    const row = await db
      .selectFrom('account_devices')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async forget(trx: Db, accountId: string, deviceId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(deviceId)) return false;
    const result = await trx.deleteFrom('account_devices').where('account_id', '=', accountId).where('id', '=', deviceId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** "Sign out other sessions": only this browser (if any) stays trusted. */
  async endTrustExcept(trx: Db, accountId: string, keepDeviceHash: string | undefined): Promise<void> {
    let update = trx.updateTable('account_devices').set({ trusted_at: null, trusted_until: null }).where('account_id', '=', accountId);
    if (keepDeviceHash) update = update.where('device_hash', '<>', keepDeviceHash);
    await update.execute();
  }

  /** A new code voids the account's earlier ones. */
  async issueCode(trx: Db, accountId: string, deviceHash: string, codeHash: string, at: Date, expiresAt: Date): Promise<void> {
    await trx.updateTable('device_codes').set({ consumed_at: at }).where('account_id', '=', accountId).where('consumed_at', 'is', null).execute();
    await trx
      .insertInto('device_codes')
      .values({ account_id: accountId, device_hash: deviceHash, code_hash: codeHash, created_at: at, expires_at: expiresAt })
      .execute();
  }

  /**
   * One try at the live code for this account and device, in one UPDATE: the try is counted (at
   * most deviceCodeMaxAttempts), and the code is used up if it matches. Returns whether it matched;
   * undefined when no code is live (none sent, expired, used, voided or out of tries).
   */
  async tryCode(trx: Db, accountId: string, deviceHash: string, codeHash: string, at: Date): Promise<boolean | undefined> {
    const row = await trx
      .updateTable('device_codes')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        consumed_at: sql<Date | null>`case when code_hash = ${codeHash} then ${at}::timestamptz else null end`,
      }))
      .where('account_id', '=', accountId)
      .where('device_hash', '=', deviceHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', at)
      .where('attempts', '<', deviceCodeMaxAttempts)
      .returning('consumed_at')
      .executeTakeFirst();
    return row ? row.consumed_at !== null : undefined;
  }
}
