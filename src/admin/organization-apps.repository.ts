import type { Db } from '../db/database.ts';

/** Whether an organization's own admins may manage its apps (organizations.apps_allowed). */
export class OrganizationAppsRepository {
  /** undefined: no such organization. */
  async appsAllowed(db: Db, organizationId: string): Promise<boolean | undefined> {
    const row = await db.selectFrom('organizations').select('apps_allowed').where('id', '=', organizationId).executeTakeFirst();
    return row?.apps_allowed;
  }

  /** The previous value (locked until the transaction ends); undefined: no such organization. */
  async setAppsAllowed(trx: Db, organizationId: string, allowed: boolean): Promise<boolean | undefined> {
    const row = await trx.selectFrom('organizations').select('apps_allowed').where('id', '=', organizationId).forUpdate().executeTakeFirst();
    if (!row) return undefined;
    await trx.updateTable('organizations').set({ apps_allowed: allowed }).where('id', '=', organizationId).execute();
    return row.apps_allowed;
  }
}
