import type { AccountRepository } from '../accounts/account.repository.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { emailDomain } from '../orgs/domain-name.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import type { OrganizationAdminRepository } from '../orgs/organization-admin.repository.ts';
import type { MemberSearch, OrganizationMember, OrganizationMemberRepository } from '../orgs/organization-member.repository.ts';
import type { Locale } from '../ui/i18n.ts';
import { type AdminActor, adminChange, authorize, isOperator, notFound } from './admin-principal.ts';
import type { PlatformOperatorRepository } from './platform-operator.repository.ts';
import { mayGrant } from './roles.ts';

export interface OrganizationUsersDependencies {
  db: Db;
  accounts: AccountRepository;
  members: OrganizationMemberRepository;
  organizations: OrganizationRepository;
  organizationAdmins: OrganizationAdminRepository;
  operators: PlatformOperatorRepository;
  /** Ends every session of an account with back-channel logout (SignOutService.signOutEverywhere). */
  signOutEverywhere(trx: Db, accountId: string, reason: string): Promise<void>;
  /** Removes every second factor of the account and ends its device trust (FactorService.removeAll). */
  resetFactors(trx: Db, accountId: string): Promise<void>;
  /** Creates the account when needed and mails the invitation (InvitationService.invite). */
  invite(invitee: { email: string; name?: string | undefined; locale: Locale }): Promise<{ accountId: string }>;
  audit: AuditLog;
}

type UserAction = 'disabled' | 'enabled' | 'removed' | 'signed_out_everywhere' | 'factors_reset';

/**
 * An organization's people as its admins run them: list and search, invite, disable (ends the
 * sessions, revokes the tokens, blocks sign-in), enable, remove, sign out everywhere, reset factors. An admin acts
 * only on members of their organization, and never on someone whose role is above their own.
 */
export class OrganizationUsersService {
  readonly #deps: OrganizationUsersDependencies;

  constructor(deps: OrganizationUsersDependencies) {
    this.#deps = deps;
  }

  list(actor: AdminActor, organizationId: string, search: MemberSearch): Promise<{ members: OrganizationMember[]; total: number }> {
    authorize(actor.principal, 'admin', organizationId);
    return this.#deps.members.list(this.#deps.db, organizationId, search);
  }

  async get(actor: AdminActor, organizationId: string, accountId: string): Promise<OrganizationMember> {
    authorize(actor.principal, 'admin', organizationId);
    const member = await this.#deps.members.find(this.#deps.db, organizationId, accountId);
    if (!member) throw notFound();
    return member;
  }

  /**
   * Adds a person to the organization: an existing account joins, a new address gets an account
   * and an invitation mail. Only addresses in the organization's proven domains (an operator may
   * add anyone): an admin cannot pull another company's people into reach.
   */
  async invite(actor: AdminActor, organizationId: string, invitee: { email: string; name?: string | undefined; locale: Locale }): Promise<OrganizationMember> {
    authorize(actor.principal, 'admin', organizationId);
    const { db, accounts, organizations, invite, members, audit } = this.#deps;
    if (!isOperator(actor.principal)) {
      const domain = emailDomain(invitee.email);
      const proven = (await organizations.domainsOf(organizationId)).filter((row) => row.verified_at !== null).map((row) => row.domain);
      if (!domain || !proven.includes(domain)) throw new AppError('admin.email_outside_domains', 400);
    }
    const existing = await accounts.findByEmail(invitee.email);
    const accountId = existing ? existing.id : (await invite(invitee)).accountId;
    await db.transaction().execute(async (trx) => {
      await organizations.addMember(trx, organizationId, accountId);
      await audit.record(
        trx,
        adminChange(actor, organizationId, {
          action: existing ? 'user.added' : 'user.invited',
          target: { type: 'account', id: accountId },
          after: { email: invitee.email },
        }),
      );
    });
    return (await members.find(db, organizationId, accountId))!;
  }

  /** `within`: the caller's transaction (SCIM changes a user's attributes and disables it in one). */
  disable(actor: AdminActor, organizationId: string, accountId: string, within?: Db): Promise<OrganizationMember> {
    return this.#act(
      actor,
      organizationId,
      accountId,
      'disabled',
      async (trx) => {
        await this.#deps.accounts.update(trx, accountId, { disabled_at: new Date() });
        await this.#deps.signOutEverywhere(trx, accountId, 'account disabled');
      },
      within,
    );
  }

  enable(actor: AdminActor, organizationId: string, accountId: string, within?: Db): Promise<OrganizationMember> {
    return this.#act(actor, organizationId, accountId, 'enabled', (trx) => this.#deps.accounts.update(trx, accountId, { disabled_at: null }), within);
  }

  signOutEverywhere(actor: AdminActor, organizationId: string, accountId: string): Promise<OrganizationMember> {
    return this.#act(actor, organizationId, accountId, 'signed_out_everywhere', (trx) =>
      this.#deps.signOutEverywhere(trx, accountId, 'signed out by an admin'),
    );
  }

  /** For a person who lost their second factor: they enrol again at their next sign-in. */
  resetFactors(actor: AdminActor, organizationId: string, accountId: string): Promise<OrganizationMember> {
    return this.#act(actor, organizationId, accountId, 'factors_reset', (trx) => this.#deps.resetFactors(trx, accountId));
  }

  /** Removes the person from the organization (and from its admins); the account itself stays. */
  async remove(actor: AdminActor, organizationId: string, accountId: string, within?: Db): Promise<void> {
    await this.#act(
      actor,
      organizationId,
      accountId,
      'removed',
      async (trx) => {
        await this.#deps.organizationAdmins.remove(trx, organizationId, accountId);
        await this.#deps.members.remove(trx, organizationId, accountId);
      },
      within,
    );
  }

  async #act(
    actor: AdminActor,
    organizationId: string,
    accountId: string,
    action: UserAction,
    change: (trx: Db) => Promise<void>,
    within?: Db,
  ): Promise<OrganizationMember> {
    const held = authorize(actor.principal, 'admin', organizationId);
    const { db, members, organizationAdmins, operators, audit } = this.#deps;
    const inTransaction = <T>(work: (trx: Db) => Promise<T>) => (within ? work(within) : db.transaction().execute(work));
    return inTransaction(async (trx) => {
      const before = await members.find(trx, organizationId, accountId);
      if (!before) throw notFound();
      const targetRole = (await operators.isOperator(trx, accountId)) ? 'operator' : (await organizationAdmins.find(trx, organizationId, accountId))?.role;
      if (targetRole && !mayGrant(held, targetRole)) throw new AppError('admin.role_above_own', 403);
      await change(trx);
      const after = await members.find(trx, organizationId, accountId);
      await audit.record(
        trx,
        adminChange(actor, organizationId, {
          action: `user.${action}`,
          target: { type: 'account', id: accountId },
          before: { disabled: before.disabled, member: true },
          after: after ? { disabled: after.disabled, member: true } : { member: false },
        }),
      );
      return after ?? before;
    });
  }
}
