import { type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ScimGroupRow } from '../db/schema.ts';
import type { FilterAttributes } from './scim-filter.ts';
import type { ScimPage } from './scim-user.repository.ts';

export interface ScimGroupMember {
  accountId: string;
  email: string;
}

/** What a Groups filter can name (RFC 7643 section 4.2); `members[value eq "…"]` is how Entra ID checks a membership. */
export const groupFilterAttributes: FilterAttributes = {
  id: { type: 'id', column: sql`g.id` },
  displayname: { type: 'string', column: sql`g.display_name` },
  externalid: { type: 'caseExactString', column: sql`g.external_id` },
  'meta.created': { type: 'dateTime', column: sql`g.created_at` },
  'meta.lastmodified': { type: 'dateTime', column: sql`g.updated_at` },
  members: {
    sub: { value: { type: 'id', column: sql`gm.account_id` } },
    exists: (condition) => sql<SqlBool>`exists (select 1 from scim_group_members gm where gm.group_id = g.id and ${condition})`,
  },
};

/** An organization's SCIM groups and their members; every query names the organization. */
export class ScimGroupRepository {
  async list(db: Db, organizationId: string, page: ScimPage): Promise<{ groups: ScimGroupRow[]; total: number }> {
    const base = db
      .selectFrom('scim_groups as g')
      .where('g.organization_id', '=', organizationId)
      .where(page.condition ?? sql<SqlBool>`true`);
    const [groups, count] = await Promise.all([
      base.selectAll('g').orderBy('g.created_at').orderBy('g.id').offset(page.offset).limit(page.limit).execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { groups, total: Number(count.total) };
  }

  find(db: Db, organizationId: string, groupId: string, options: { forUpdate?: boolean } = {}): Promise<ScimGroupRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(groupId)) return Promise.resolve(undefined);
    const query = db.selectFrom('scim_groups').selectAll().where('organization_id', '=', organizationId).where('id', '=', groupId);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  }

  insert(trx: Db, organizationId: string, group: { displayName: string; externalId: string | null }): Promise<ScimGroupRow> {
    return trx
      .insertInto('scim_groups')
      .values({ organization_id: organizationId, display_name: group.displayName, external_id: group.externalId })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async update(trx: Db, organizationId: string, groupId: string, group: { displayName: string; externalId: string | null }): Promise<void> {
    await trx
      .updateTable('scim_groups')
      .set({ display_name: group.displayName, external_id: group.externalId, updated_at: sql`now()` })
      .where('organization_id', '=', organizationId)
      .where('id', '=', groupId)
      .execute();
  }

  async delete(trx: Db, organizationId: string, groupId: string): Promise<void> {
    await trx.deleteFrom('scim_groups').where('organization_id', '=', organizationId).where('id', '=', groupId).execute();
  }

  async membersOf(db: Db, groupIds: string[]): Promise<Map<string, ScimGroupMember[]>> {
    const members = new Map<string, ScimGroupMember[]>();
    if (groupIds.length === 0) return members;
    const rows = await db
      .selectFrom('scim_group_members as gm')
      .innerJoin('accounts as a', 'a.id', 'gm.account_id')
      .select(['gm.group_id as groupId', 'a.id as accountId', 'a.email'])
      .where('gm.group_id', 'in', groupIds)
      .orderBy('a.email')
      .execute();
    for (const { groupId, ...member } of rows) members.set(groupId, [...(members.get(groupId) ?? []), member]);
    return members;
  }

  /** Makes the group's members exactly these accounts. */
  async setMembers(trx: Db, groupId: string, accountIds: string[]): Promise<void> {
    let removal = trx.deleteFrom('scim_group_members').where('group_id', '=', groupId);
    if (accountIds.length > 0) removal = removal.where('account_id', 'not in', accountIds);
    await removal.execute();
    if (accountIds.length === 0) return;
    await trx
      .insertInto('scim_group_members')
      .values(accountIds.map((accountId) => ({ group_id: groupId, account_id: accountId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** The display names of the organization's groups the account is in (their names map to roles). */
  async groupNamesOf(db: Db, organizationId: string, accountId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('scim_group_members as gm')
      .innerJoin('scim_groups as g', 'g.id', 'gm.group_id')
      .select('g.display_name')
      .where('g.organization_id', '=', organizationId)
      .where('gm.account_id', '=', accountId)
      .execute();
    return rows.map((row) => row.display_name);
  }
}
