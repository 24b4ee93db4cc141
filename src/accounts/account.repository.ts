import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { AccountRow, AccountUpdate, NewAccountRow } from '../db/schema.ts';
import { normalizeEmail } from './email.ts';

export class AccountRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  findById(id: string, db: Db = this.#db): Promise<AccountRow | undefined> {
    // Account ids are UUIDs; anything else (a tampered session) simply matches nothing.
    if (!/^[0-9a-f-]{36}$/i.test(id)) return Promise.resolve(undefined);
    return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByEmail(email: string, db: Db = this.#db): Promise<AccountRow | undefined> {
    return db.selectFrom('accounts').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
  }

  insert(db: Db, account: NewAccountRow): Promise<AccountRow> {
    return db
      .insertInto('accounts')
      .values({ ...account, email: normalizeEmail(account.email) })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async update(db: Db, id: string, changes: AccountUpdate): Promise<void> {
    await db
      .updateTable('accounts')
      .set({ ...changes, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }
}
