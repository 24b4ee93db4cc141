import { type AdminActor, authorize } from '../admin/admin-principal.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import type { ScimGroupRow } from '../db/schema.ts';
import { recordScimChange, scimTransaction } from './scim-changes.ts';
import { invalidValue, scimNotFound } from './scim-error.ts';
import { filterCondition } from './scim-filter.ts';
import { groupFilterAttributes, type ScimGroupRepository } from './scim-group.repository.ts';
import { applyPatch } from './scim-patching.ts';
import { type GroupInput, groupResource, readGroupInput, type ScimResource } from './scim-resources.ts';
import { roleOfGroup, type ScimRoleSync } from './scim-roles.ts';
import type { ScimUserRepository } from './scim-user.repository.ts';
import type { ScimList, ScimListQuery } from './scim-users.service.ts';

export interface ScimGroupsDependencies {
  db: Db;
  baseUrl: string;
  groups: ScimGroupRepository;
  users: ScimUserRepository;
  roles: ScimRoleSync;
  audit: AuditLog;
}

/**
 * SCIM Groups of an organization. A group named like a role group ("Sign-in Admins", "Sign-in
 * Owners") grants that role to its members; any other group is kept as a plain group. Members
 * must be members of the organization.
 */
export class ScimGroupsService {
  readonly #deps: ScimGroupsDependencies;

  constructor(deps: ScimGroupsDependencies) {
    this.#deps = deps;
  }

  /** `withMembers` false for `excludedAttributes=members`: Entra ID asks so, and large groups are not read for nothing. */
  async list(actor: AdminActor, organizationId: string, query: ScimListQuery & { withMembers: boolean }): Promise<ScimList> {
    authorize(actor.principal, 'owner', organizationId);
    const { db, groups } = this.#deps;
    const condition = query.filter ? filterCondition(query.filter, groupFilterAttributes) : undefined;
    const page = await groups.list(db, organizationId, { condition, offset: query.startIndex - 1, limit: query.count });
    return { totalResults: page.total, startIndex: query.startIndex, resources: await this.#resources(db, page.groups, query.withMembers) };
  }

  async get(actor: AdminActor, organizationId: string, groupId: string, withMembers = true): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    return this.#get(this.#deps.db, organizationId, groupId, withMembers);
  }

  async create(actor: AdminActor, organizationId: string, body: unknown): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    const input = readGroupInput(body);
    return this.#write(async (trx) => {
      await this.#checkMembers(trx, organizationId, input.memberIds);
      const group = await this.#deps.groups.insert(trx, organizationId, input);
      await this.#deps.groups.setMembers(trx, group.id, input.memberIds);
      await this.#deps.roles.sync(trx, actor, organizationId, input.memberIds);
      await this.#record(trx, actor, organizationId, group.id, 'scim_group.created', null, describe(input));
      return this.#get(trx, organizationId, group.id, true);
    });
  }

  async replace(actor: AdminActor, organizationId: string, groupId: string, body: unknown): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    const input = readGroupInput(body);
    return this.#write((trx) => this.#update(trx, actor, organizationId, groupId, input));
  }

  async patch(actor: AdminActor, organizationId: string, groupId: string, body: unknown): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    return this.#write(async (trx) => {
      const patched = applyPatch(await this.#get(trx, organizationId, groupId, true, { forUpdate: true }), body);
      return this.#update(trx, actor, organizationId, groupId, readGroupInput(patched));
    });
  }

  async delete(actor: AdminActor, organizationId: string, groupId: string): Promise<void> {
    authorize(actor.principal, 'owner', organizationId);
    const { groups, roles } = this.#deps;
    await this.#write(async (trx) => {
      const group = await groups.find(trx, organizationId, groupId, { forUpdate: true });
      if (!group) throw scimNotFound();
      const formerMembers = (await groups.membersOf(trx, [group.id])).get(group.id) ?? [];
      await groups.delete(trx, organizationId, groupId);
      await roles.sync(
        trx,
        actor,
        organizationId,
        formerMembers.map((member) => member.accountId),
      );
      await this.#record(trx, actor, organizationId, groupId, 'scim_group.deleted', { displayName: group.display_name }, null);
    });
  }

  async #update(trx: Db, actor: AdminActor, organizationId: string, groupId: string, input: GroupInput): Promise<ScimResource> {
    const { groups, roles } = this.#deps;
    const group = await groups.find(trx, organizationId, groupId, { forUpdate: true });
    if (!group) throw scimNotFound();
    await this.#checkMembers(trx, organizationId, input.memberIds);
    const before = (await groups.membersOf(trx, [group.id])).get(group.id) ?? [];
    await groups.update(trx, organizationId, groupId, input);
    await groups.setMembers(trx, groupId, input.memberIds);
    await roles.sync(trx, actor, organizationId, [...before.map((member) => member.accountId), ...input.memberIds]);
    await this.#record(
      trx,
      actor,
      organizationId,
      groupId,
      'scim_group.updated',
      { displayName: group.display_name, externalId: group.external_id, members: before.map((member) => member.accountId) },
      describe(input),
    );
    return this.#get(trx, organizationId, groupId, true);
  }

  async #checkMembers(trx: Db, organizationId: string, accountIds: string[]): Promise<void> {
    for (const accountId of accountIds) {
      if (!(await this.#deps.users.find(trx, organizationId, accountId))) throw invalidValue(`${accountId} is not a member of the organization.`);
    }
  }

  async #get(db: Db, organizationId: string, groupId: string, withMembers: boolean, options: { forUpdate?: boolean } = {}): Promise<ScimResource> {
    const group = await this.#deps.groups.find(db, organizationId, groupId, options);
    if (!group) throw scimNotFound();
    const [resource] = await this.#resources(db, [group], withMembers);
    return resource!;
  }

  async #resources(db: Db, groups: ScimGroupRow[], withMembers: boolean): Promise<ScimResource[]> {
    const members = withMembers
      ? await this.#deps.groups.membersOf(
          db,
          groups.map((group) => group.id),
        )
      : undefined;
    return groups.map((group) => groupResource(this.#deps.baseUrl, group, members && (members.get(group.id) ?? [])));
  }

  #write<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return scimTransaction(this.#deps.db, 'Another group has this displayName.', work);
  }

  #record(trx: Db, actor: AdminActor, organizationId: string, groupId: string, action: string, before: unknown, after: unknown) {
    return recordScimChange(this.#deps.audit, trx, actor, { organizationId, action, target: { type: 'scim_group', id: groupId }, before, after });
  }
}

const describe = (input: GroupInput) => ({
  displayName: input.displayName,
  externalId: input.externalId,
  members: input.memberIds,
  ...(roleOfGroup(input.displayName) ? { role: roleOfGroup(input.displayName) } : {}),
});
