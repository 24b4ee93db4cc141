import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { OrganizationAdminRole, OrganizationAdminRow } from '../db/schema.ts';

export interface OrganizationAdmin {
  accountId: string;
  email: string;
  name: string | null;
  role: OrganizationAdminRole;
  since: Date;
}

/** Owners and admins of organizations; every query names the organization it reads or writes. */
export class OrganizationAdminRepository {
  async upsert(trx: Db, organizationId: string, accountId: string, role: OrganizationAdminRole): Promise<void> {
    await trx
      .insertInto('organization_admins')
      .values({ organization_id: organizationId, account_id: accountId, role })
      .onConflict((oc) => oc.columns(['organization_id', 'account_id']).doUpdateSet({ role, updated_at: sql`now()` }))
      .execute();
  }

  async remove(trx: Db, organizationId: string, accountId: string): Promise<void> {
    await trx.deleteFrom('organization_admins').where('organization_id', '=', organizationId).where('account_id', '=', accountId).execute();
  }

  /** The admin row, locked when read inside a transaction that changes it. */
  find(db: Db, organizationId: string, accountId: string, options: { forUpdate?: boolean } = {}): Promise<OrganizationAdminRow | undefined> {
    const query = db.selectFrom('organization_admins').selectAll().where('organization_id', '=', organizationId).where('account_id', '=', accountId);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  }

  list(db: Db, organizationId: string): Promise<OrganizationAdmin[]> {
    return db
      .selectFrom('organization_admins')
      .innerJoin('accounts', 'accounts.id', 'organization_admins.account_id')
      .select(['accounts.id as accountId', 'accounts.email', 'accounts.name', 'organization_admins.role', 'organization_admins.created_at as since'])
      .where('organization_admins.organization_id', '=', organizationId)
      .orderBy('accounts.email')
      .execute();
  }

  /** The owners, locked: removing or demoting one checks that another remains. */
  async ownerIds(trx: Db, organizationId: string): Promise<string[]> {
    const rows = await trx
      .selectFrom('organization_admins')
      .select('account_id')
      .where('organization_id', '=', organizationId)
      .where('role', '=', 'owner')
      .forUpdate()
      .execute();
    return rows.map((row) => row.account_id);
  }

  rolesOfAccount(db: Db, accountId: string): Promise<Array<{ organizationId: string; role: OrganizationAdminRole }>> {
    return db.selectFrom('organization_admins').select(['organization_id as organizationId', 'role']).where('account_id', '=', accountId).execute();
  }
}

/** Where mail about an organization's setup goes (lost domain records, expiring IdP certificates): its owners. */
export async function organizationOwnerEmails(db: Db, organizationId: string): Promise<Array<{ email: string; locale: string | null }>> {
  return db
    .selectFrom('organization_admins')
    .innerJoin('accounts', 'accounts.id', 'organization_admins.account_id')
    .select(['accounts.email', 'accounts.locale'])
    .where('organization_admins.organization_id', '=', organizationId)
    .where('organization_admins.role', '=', 'owner')
    .orderBy('accounts.email')
    .execute();
}
