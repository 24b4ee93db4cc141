import type { Db } from '../db/database.ts';
import type { AdminApiClientRow } from '../db/schema.ts';

/** Which organization (or the platform) and role each machine client of the admin API acts for. */
export class AdminApiClientRepository {
  async insert(trx: Db, row: Omit<AdminApiClientRow, 'created_at'>): Promise<void> {
    await trx.insertInto('admin_api_clients').values(row).execute();
  }

  find(db: Db, clientId: string): Promise<AdminApiClientRow | undefined> {
    return db.selectFrom('admin_api_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  }
}
