import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { FederatedIdentityRow } from '../db/schema.ts';

/** Links from an upstream identity (connection, subject) to an account. */
export class FederatedIdentityRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  find(connectionId: string, subject: string, db: Db = this.#db): Promise<FederatedIdentityRow | undefined> {
    return db
      .selectFrom('federated_identities')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('subject', '=', subject)
      .forUpdate()
      .executeTakeFirst();
  }

  async accountHasIdentityOn(accountId: string, connectionId: string, db: Db = this.#db): Promise<boolean> {
    const row = await db
      .selectFrom('federated_identities')
      .select('subject')
      .where('account_id', '=', accountId)
      .where('connection_id', '=', connectionId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async insert(db: Db, identity: { connectionId: string; subject: string; accountId: string; email: string | undefined }): Promise<void> {
    await db
      .insertInto('federated_identities')
      .values({ connection_id: identity.connectionId, subject: identity.subject, account_id: identity.accountId, email: identity.email ?? null })
      .execute();
  }

  async touch(db: Db, connectionId: string, subject: string, email: string | undefined): Promise<void> {
    await db
      .updateTable('federated_identities')
      .set({ email: email ?? null, last_sign_in_at: sql`now()` })
      .where('connection_id', '=', connectionId)
      .where('subject', '=', subject)
      .execute();
  }

  listOfAccount(accountId: string, db: Db = this.#db): Promise<FederatedIdentityRow[]> {
    return db.selectFrom('federated_identities').selectAll().where('account_id', '=', accountId).execute();
  }

  /** The account's identities, locked until the transaction ends: two unlinks racing cannot both pass a "not the last one" check. */
  lockAllOfAccount(db: Db, accountId: string): Promise<FederatedIdentityRow[]> {
    return db.selectFrom('federated_identities').selectAll().where('account_id', '=', accountId).orderBy('created_at').forUpdate().execute();
  }

  async delete(db: Db, connectionId: string, accountId: string): Promise<void> {
    await db.deleteFrom('federated_identities').where('connection_id', '=', connectionId).where('account_id', '=', accountId).execute();
  }
}
