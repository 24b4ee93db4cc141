import type { AdminActor } from '../admin/admin-principal.ts';
import { roleAtLeast } from '../admin/roles.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import type { OrganizationAdminRole } from '../db/schema.ts';
import { AppError } from '../http/errors.ts';
import type { OrganizationAdminRepository } from '../orgs/organization-admin.repository.ts';
import { recordScimChange } from './scim-changes.ts';
import type { ScimGroupRepository } from './scim-group.repository.ts';
import type { ScimUserRepository } from './scim-user.repository.ts';

/**
 * The group names that grant a role, compared case-insensitively. Fixed rather than configured, so
 * that an IdP (or whoever holds its token) cannot map an arbitrary group to a role; owner is the
 * ceiling: nothing SCIM does makes a platform operator.
 */
export const roleGroups: Readonly<Record<string, OrganizationAdminRole>> = { 'sign-in owners': 'owner', 'sign-in admins': 'admin' };

export function roleOfGroup(displayName: string): OrganizationAdminRole | undefined {
  return roleGroups[displayName.trim().toLowerCase()];
}

export interface ScimRoleSyncDependencies {
  users: ScimUserRepository;
  groups: ScimGroupRepository;
  organizationAdmins: OrganizationAdminRepository;
  audit: AuditLog;
}

/**
 * Keeps the organization roles of members in line with their role groups. SCIM takes back only a
 * role it granted itself (scim_users.granted_role): a role an owner gave by hand stays, and a
 * higher one is never lowered. The organization keeps an owner.
 */
export class ScimRoleSync {
  readonly #deps: ScimRoleSyncDependencies;

  constructor(deps: ScimRoleSyncDependencies) {
    this.#deps = deps;
  }

  async sync(trx: Db, actor: AdminActor, organizationId: string, accountIds: Iterable<string>): Promise<void> {
    for (const accountId of new Set(accountIds)) await this.#syncOne(trx, actor, organizationId, accountId);
  }

  async #syncOne(trx: Db, actor: AdminActor, organizationId: string, accountId: string): Promise<void> {
    const { users, groups, organizationAdmins } = this.#deps;
    const wanted = (await groups.groupNamesOf(trx, organizationId, accountId))
      .map(roleOfGroup)
      .filter((role) => role !== undefined)
      .reduce<OrganizationAdminRole | undefined>((best, role) => (!best || roleAtLeast(role, best) ? role : best), undefined);
    const current = (await organizationAdmins.find(trx, organizationId, accountId, { forUpdate: true }))?.role;
    const granted = (await users.find(trx, organizationId, accountId))?.grantedRole ?? null;
    const ours = current !== undefined && current === granted;
    if (wanted && wanted !== current && (current === undefined || ours || roleAtLeast(wanted, current))) {
      if (current === 'owner') await this.#keepAnotherOwner(trx, organizationId, accountId);
      await organizationAdmins.upsert(trx, organizationId, accountId, wanted);
      await users.setGrantedRole(trx, organizationId, accountId, wanted);
      await this.#record(trx, actor, organizationId, accountId, 'organization_admin.granted', current, wanted);
    } else if (!wanted && ours) {
      if (current === 'owner') await this.#keepAnotherOwner(trx, organizationId, accountId);
      await organizationAdmins.remove(trx, organizationId, accountId);
      await users.setGrantedRole(trx, organizationId, accountId, null);
      await this.#record(trx, actor, organizationId, accountId, 'organization_admin.revoked', current, undefined);
    }
  }

  async #keepAnotherOwner(trx: Db, organizationId: string, accountId: string): Promise<void> {
    const owners = await this.#deps.organizationAdmins.ownerIds(trx, organizationId);
    if (owners.every((id) => id === accountId)) throw new AppError('admin.last_owner', 409);
  }

  #record(trx: Db, actor: AdminActor, organizationId: string, accountId: string, action: string, before?: string, after?: string) {
    return recordScimChange(this.#deps.audit, trx, actor, {
      organizationId,
      action,
      target: { type: 'account', id: accountId },
      before: before ? { role: before } : null,
      after: after ? { role: after } : null,
    });
  }
}
