import type { AccountRepository } from '../accounts/account.repository.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import type { OrganizationAdminRole } from '../db/schema.ts';
import { AppError } from '../http/errors.ts';
import type { OrganizationAdmin, OrganizationAdminRepository } from '../orgs/organization-admin.repository.ts';
import { type AdminActor, adminChange, authorize, notFound } from './admin-principal.ts';
import { mayGrant } from './roles.ts';

export interface OrganizationAdminsDependencies {
  db: Db;
  accounts: AccountRepository;
  organizationAdmins: OrganizationAdminRepository;
  audit: AuditLog;
}

const aboveOwnRole = () => new AppError('admin.role_above_own', 403);
const lastOwner = () => new AppError('admin.last_owner', 409);

/**
 * Owners and admins of an organization. A role grants, changes and takes away roles up to its own
 * only (an admin cannot make an owner, nor demote or remove one); an organization keeps an owner.
 */
export class OrganizationAdminsService {
  readonly #deps: OrganizationAdminsDependencies;

  constructor(deps: OrganizationAdminsDependencies) {
    this.#deps = deps;
  }

  list(actor: AdminActor, organizationId: string): Promise<OrganizationAdmin[]> {
    authorize(actor.principal, 'admin', organizationId);
    return this.#deps.organizationAdmins.list(this.#deps.db, organizationId);
  }

  async grant(actor: AdminActor, organizationId: string, grant: { email: string; role: OrganizationAdminRole }): Promise<OrganizationAdmin> {
    const held = authorize(actor.principal, 'admin', organizationId);
    if (!mayGrant(held, grant.role)) throw aboveOwnRole();
    const { db, accounts, organizationAdmins, audit } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const account = await accounts.findByEmail(grant.email, trx);
      if (!account) throw new AppError('admin.account_not_found', 404, { message: `No account for ${grant.email}` });
      const existing = await organizationAdmins.find(trx, organizationId, account.id, { forUpdate: true });
      if (existing && !mayGrant(held, existing.role)) throw aboveOwnRole();
      if (existing?.role === 'owner' && grant.role !== 'owner') await this.#keepAnotherOwner(trx, organizationId, account.id);
      await organizationAdmins.upsert(trx, organizationId, account.id, grant.role);
      await audit.record(
        trx,
        adminChange(actor, organizationId, {
          action: 'organization_admin.granted',
          target: { type: 'account', id: account.id },
          before: existing ? { role: existing.role } : null,
          after: { role: grant.role },
        }),
      );
      return (await organizationAdmins.list(trx, organizationId)).find((admin) => admin.accountId === account.id)!;
    });
  }

  async revoke(actor: AdminActor, organizationId: string, accountId: string): Promise<void> {
    const held = authorize(actor.principal, 'admin', organizationId);
    const { db, organizationAdmins, audit } = this.#deps;
    await db.transaction().execute(async (trx) => {
      const existing = /^[0-9a-f-]{36}$/i.test(accountId) ? await organizationAdmins.find(trx, organizationId, accountId, { forUpdate: true }) : undefined;
      if (!existing) throw notFound();
      if (!mayGrant(held, existing.role)) throw aboveOwnRole();
      if (existing.role === 'owner') await this.#keepAnotherOwner(trx, organizationId, accountId);
      await organizationAdmins.remove(trx, organizationId, accountId);
      await audit.record(
        trx,
        adminChange(actor, organizationId, {
          action: 'organization_admin.revoked',
          target: { type: 'account', id: accountId },
          before: { role: existing.role },
          after: null,
        }),
      );
    });
  }

  async #keepAnotherOwner(trx: Db, organizationId: string, leavingAccountId: string): Promise<void> {
    const owners = await this.#deps.organizationAdmins.ownerIds(trx, organizationId);
    if (owners.every((id) => id === leavingAccountId)) throw lastOwner();
  }
}
