import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';

/** Per account: the WebAuthn user handle and the moments that end device trust and confirmations. */
export class FactorSettingsRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  find(accountId: string, db: Db = this.#db) {
    return db.selectFrom('account_factor_settings').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  }

  /** 32 random bytes, created on first use: a WebAuthn user handle never carries the email or the account id. */
  async userHandle(trx: Db, accountId: string): Promise<string> {
    const candidate = randomBytes(32).toString('base64url');
    await trx
      .insertInto('account_factor_settings')
      .values({ account_id: accountId, webauthn_user_handle: candidate })
      .onConflict((oc) =>
        oc
          .column('account_id')
          .doUpdateSet((eb) => ({ webauthn_user_handle: eb.fn.coalesce('account_factor_settings.webauthn_user_handle', eb.val(candidate)) })),
      )
      .execute();
    const row = await trx.selectFrom('account_factor_settings').select('webauthn_user_handle').where('account_id', '=', accountId).executeTakeFirstOrThrow();
    return row.webauthn_user_handle!;
  }

  async accountOfUserHandle(userHandle: string, db: Db = this.#db): Promise<string | undefined> {
    const row = await db.selectFrom('account_factor_settings').select('account_id').where('webauthn_user_handle', '=', userHandle).executeTakeFirst();
    return row?.account_id;
  }

  /** A factor was added or removed: device trust ends (the device check runs again). */
  async markFactorsChanged(trx: Db, accountId: string, at: Date): Promise<void> {
    await trx
      .insertInto('account_factor_settings')
      .values({ account_id: accountId, factors_changed_at: at, trust_revoked_at: at })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ factors_changed_at: at, trust_revoked_at: at }))
      .execute();
  }

  /** Password reset, "sign out everywhere", "this wasn't me": every trusted device must confirm again. */
  async revokeTrust(trx: Db, accountId: string, at: Date): Promise<void> {
    await trx
      .insertInto('account_factor_settings')
      .values({ account_id: accountId, trust_revoked_at: at })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ trust_revoked_at: at }))
      .execute();
  }
}
