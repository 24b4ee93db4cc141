import type { Db } from '../db/database.ts';
import type { PasskeyRow } from '../db/schema.ts';

export interface NewPasskey {
  credentialId: string;
  accountId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
}

export class PasskeyRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  listOfAccount(accountId: string, db: Db = this.#db): Promise<PasskeyRow[]> {
    return db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
  }

  find(credentialId: string, db: Db = this.#db): Promise<PasskeyRow | undefined> {
    return db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  }

  async insert(trx: Db, passkey: NewPasskey): Promise<void> {
    await trx
      .insertInto('passkeys')
      .values({
        credential_id: passkey.credentialId,
        account_id: passkey.accountId,
        public_key: passkey.publicKey,
        counter: passkey.counter,
        transports: passkey.transports,
        device_type: passkey.deviceType,
        backed_up: passkey.backedUp,
        name: passkey.name,
      })
      .execute();
  }

  /** Stores the authenticator's new signature counter, only moving forward (a cloned key shows an old one). */
  async recordUse(trx: Db, credentialId: string, counter: number, at: Date): Promise<void> {
    await trx.updateTable('passkeys').set({ counter, last_used_at: at }).where('credential_id', '=', credentialId).execute();
  }

  async delete(trx: Db, accountId: string, credentialId: string): Promise<boolean> {
    const result = await trx.deleteFrom('passkeys').where('account_id', '=', accountId).where('credential_id', '=', credentialId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteAllOfAccount(trx: Db, accountId: string): Promise<void> {
    await trx.deleteFrom('passkeys').where('account_id', '=', accountId).execute();
  }

  async saveChallenge(trx: Db, id: string, challenge: string, accountId: string | null, expiresAt: Date): Promise<void> {
    await trx.insertInto('webauthn_challenges').values({ id, challenge, account_id: accountId, expires_at: expiresAt }).execute();
  }

  /** Takes a challenge once (deleted as it is read); undefined when unknown, used or expired. */
  async takeChallenge(trx: Db, id: string, at: Date): Promise<{ challenge: string; account_id: string | null } | undefined> {
    return trx.deleteFrom('webauthn_challenges').where('id', '=', id).where('expires_at', '>', at).returning(['challenge', 'account_id']).executeTakeFirst();
  }
}
