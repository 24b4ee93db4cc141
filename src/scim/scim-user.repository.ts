import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { OrganizationAdminRole } from '../db/schema.ts';
import type { FilterAttributes } from './scim-filter.ts';

/** A member of an organization as its IdP sees it through SCIM (whether the IdP created it or found it there). */
export interface ScimUserRecord {
  accountId: string;
  email: string;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  disabled: boolean;
  externalId: string | null;
  grantedRole: OrganizationAdminRole | null;
  created: Date;
  lastModified: Date;
}

export interface ScimPage {
  condition?: RawBuilder<SqlBool> | undefined;
  offset: number;
  limit: number;
}

/** What a Users filter can name (RFC 7643 section 4.1), over the query below's aliases. */
export const userFilterAttributes: FilterAttributes = {
  id: { type: 'id', column: sql`a.id` },
  username: { type: 'string', column: sql`a.email` },
  externalid: { type: 'caseExactString', column: sql`su.external_id` },
  displayname: { type: 'string', column: sql`a.name` },
  'name.formatted': { type: 'string', column: sql`a.name` },
  'name.givenname': { type: 'string', column: sql`a.given_name` },
  'name.familyname': { type: 'string', column: sql`a.family_name` },
  active: { type: 'boolean', column: sql`(a.disabled_at is null)` },
  'meta.created': { type: 'dateTime', column: sql`om.created_at` },
  'meta.lastmodified': { type: 'dateTime', column: sql`greatest(a.updated_at, su.updated_at)` },
  // One address per account: the work one, primary.
  emails: {
    sub: {
      value: { type: 'string', column: sql`a.email` },
      type: { type: 'string', column: sql`'work'::text` },
      primary: { type: 'boolean', column: sql`true` },
    },
  },
  groups: {
    sub: { value: { type: 'id', column: sql`gm.group_id` }, display: { type: 'string', column: sql`g.display_name` } },
    exists: (condition) =>
      sql<SqlBool>`exists (select 1 from scim_group_members gm join scim_groups g on g.id = gm.group_id where gm.account_id = a.id and g.organization_id = om.organization_id and ${condition})`,
  },
};

/**
 * The organization's members with what SCIM keeps of them. Every query is scoped by the
 * organization: another organization's member is not found, whatever the filter or id says.
 */
export class ScimUserRepository {
  #members(db: Db, organizationId: string) {
    return db
      .selectFrom('organization_members as om')
      .innerJoin('accounts as a', 'a.id', 'om.account_id')
      .leftJoin('scim_users as su', (join) => join.onRef('su.organization_id', '=', 'om.organization_id').onRef('su.account_id', '=', 'om.account_id'))
      .where('om.organization_id', '=', organizationId);
  }

  #select(db: Db, organizationId: string) {
    return this.#members(db, organizationId).select([
      'a.id as accountId',
      'a.email',
      'a.name',
      'a.given_name as givenName',
      'a.family_name as familyName',
      'a.disabled_at as disabledAt',
      'su.external_id as externalId',
      'su.granted_role as grantedRole',
      'om.created_at as created',
      sql<Date>`greatest(a.updated_at, su.updated_at)`.as('lastModified'),
    ]);
  }

  async list(db: Db, organizationId: string, page: ScimPage): Promise<{ records: ScimUserRecord[]; total: number }> {
    const condition = page.condition ?? sql<SqlBool>`true`;
    const [rows, count] = await Promise.all([
      this.#select(db, organizationId).where(condition).orderBy('om.created_at').orderBy('a.id').offset(page.offset).limit(page.limit).execute(),
      this.#members(db, organizationId)
        .where(condition)
        .select((eb) => eb.fn.countAll<string>().as('total'))
        .executeTakeFirstOrThrow(),
    ]);
    return { records: rows.map(toRecord), total: Number(count.total) };
  }

  async find(db: Db, organizationId: string, accountId: string): Promise<ScimUserRecord | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(accountId)) return undefined;
    const row = await this.#select(db, organizationId).where('a.id', '=', accountId).executeTakeFirst();
    return row && toRecord(row);
  }

  async link(trx: Db, organizationId: string, accountId: string, externalId: string | null): Promise<void> {
    await trx
      .insertInto('scim_users')
      .values({ organization_id: organizationId, account_id: accountId, external_id: externalId })
      .onConflict((oc) => oc.columns(['organization_id', 'account_id']).doUpdateSet({ external_id: externalId, updated_at: sql`now()` }))
      .execute();
  }

  async setGrantedRole(trx: Db, organizationId: string, accountId: string, role: OrganizationAdminRole | null): Promise<void> {
    await trx
      .insertInto('scim_users')
      .values({ organization_id: organizationId, account_id: accountId, granted_role: role })
      .onConflict((oc) => oc.columns(['organization_id', 'account_id']).doUpdateSet({ granted_role: role, updated_at: sql`now()` }))
      .execute();
  }

  /** Forgets the member: its SCIM row and its places in the organization's groups. */
  async unlink(trx: Db, organizationId: string, accountId: string): Promise<void> {
    await trx.deleteFrom('scim_users').where('organization_id', '=', organizationId).where('account_id', '=', accountId).execute();
    await trx
      .deleteFrom('scim_group_members')
      .where('account_id', '=', accountId)
      .where('group_id', 'in', (eb) => eb.selectFrom('scim_groups').select('id').where('organization_id', '=', organizationId))
      .execute();
  }

  /** The groups of each account in the organization, for the read-only `groups` attribute. */
  async groupsOf(db: Db, organizationId: string, accountIds: string[]): Promise<Map<string, Array<{ id: string; displayName: string }>>> {
    const groups = new Map<string, Array<{ id: string; displayName: string }>>();
    if (accountIds.length === 0) return groups;
    const rows = await db
      .selectFrom('scim_group_members as gm')
      .innerJoin('scim_groups as g', 'g.id', 'gm.group_id')
      .select(['gm.account_id as accountId', 'g.id', 'g.display_name as displayName'])
      .where('g.organization_id', '=', organizationId)
      .where('gm.account_id', 'in', accountIds)
      .orderBy('g.display_name')
      .execute();
    for (const row of rows) groups.set(row.accountId, [...(groups.get(row.accountId) ?? []), { id: row.id, displayName: row.displayName }]);
    return groups;
  }
}

function toRecord(row: {
  accountId: string;
  email: string;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  disabledAt: Date | null;
  externalId: string | null;
  grantedRole: OrganizationAdminRole | null;
  created: Date;
  lastModified: Date;
}): ScimUserRecord {
  const { disabledAt, ...rest } = row;
  return { ...rest, disabled: disabledAt !== null };
}
