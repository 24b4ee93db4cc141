import type { AccountRepository } from '../accounts/account.repository.ts';
import { normalizeEmail } from '../accounts/email.ts';
import { type AdminActor, authorize } from '../admin/admin-principal.ts';
import type { OrganizationUsersService } from '../admin/organization-users.service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { emailDomain } from '../orgs/domain-name.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import { recordScimChange, scimTransaction, uniqueness } from './scim-changes.ts';
import { invalidValue, scimNotFound } from './scim-error.ts';
import { filterCondition } from './scim-filter.ts';
import { applyPatch } from './scim-patching.ts';
import { readUserInput, type ScimResource, type UserInput, userResource } from './scim-resources.ts';
import type { ScimRoleSync } from './scim-roles.ts';
import { type ScimUserRecord, type ScimUserRepository, userFilterAttributes } from './scim-user.repository.ts';

export interface ScimUsersDependencies {
  db: Db;
  baseUrl: string;
  accounts: AccountRepository;
  organizations: OrganizationRepository;
  organizationUsers: OrganizationUsersService;
  users: ScimUserRepository;
  roles: ScimRoleSync;
  audit: AuditLog;
}

export interface ScimListQuery {
  filter?: string | undefined;
  /** 1-based (RFC 7644 section 3.4.2.4). */
  startIndex: number;
  count: number;
}

export interface ScimList {
  totalResults: number;
  startIndex: number;
  resources: ScimResource[];
}

/**
 * SCIM Users: the organization's members. userName is the email and must be in one of the
 * organization's proven domains; `active: false` disables the account through the admin center's
 * own service (sessions ended, tokens revoked, sign-in refused).
 */
export class ScimUsersService {
  readonly #deps: ScimUsersDependencies;

  constructor(deps: ScimUsersDependencies) {
    this.#deps = deps;
  }

  async list(actor: AdminActor, organizationId: string, query: ScimListQuery): Promise<ScimList> {
    authorize(actor.principal, 'owner', organizationId);
    const { db, users } = this.#deps;
    const condition = query.filter ? filterCondition(query.filter, userFilterAttributes) : undefined;
    const { records, total } = await users.list(db, organizationId, { condition, offset: query.startIndex - 1, limit: query.count });
    return { totalResults: total, startIndex: query.startIndex, resources: await this.#resources(db, organizationId, records) };
  }

  async get(actor: AdminActor, organizationId: string, accountId: string): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    return this.#get(this.#deps.db, organizationId, accountId);
  }

  /**
   * Provisions a person: a new account (no password: they sign in through the organization's SSO,
   * or choose one with "Forgot password"), or an existing account of that address, which joins the
   * organization. An address that is already a member is a conflict (409 uniqueness).
   */
  async create(actor: AdminActor, organizationId: string, body: unknown): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    const input = readUserInput(body);
    return this.#write(async (trx) => {
      const email = await this.#emailInDomains(trx, organizationId, input.userName);
      const existing = await this.#deps.accounts.findByEmail(email, trx);
      if (existing && (await this.#deps.users.find(trx, organizationId, existing.id))) throw uniqueness(`${email} is already a member.`);
      const account =
        existing ??
        // The organization proved the domain and its IdP vouches for the address: it counts as verified.
        (await this.#deps.accounts.insert(trx, { email, email_verified: true, name: input.name, given_name: input.givenName, family_name: input.familyName }));
      // A name the IdP does not send leaves the account's own.
      if (existing && input.name)
        await this.#deps.accounts.update(trx, account.id, { name: input.name, given_name: input.givenName, family_name: input.familyName });
      await this.#deps.organizations.addMember(trx, organizationId, account.id);
      await this.#deps.users.link(trx, organizationId, account.id, input.externalId);
      await this.#record(trx, actor, organizationId, account.id, 'user.provisioned', null, describe(input, email));
      if (input.active === false) await this.#deps.organizationUsers.disable(actor, organizationId, account.id, trx);
      // Provisioned again after a DELETE disabled it: active again.
      if (input.active === true && existing?.disabled_at) await this.#deps.organizationUsers.enable(actor, organizationId, account.id, trx);
      return this.#get(trx, organizationId, account.id);
    });
  }

  async replace(actor: AdminActor, organizationId: string, accountId: string, body: unknown): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    const input = readUserInput(body);
    return this.#write((trx) => this.#update(trx, actor, organizationId, accountId, input));
  }

  async patch(actor: AdminActor, organizationId: string, accountId: string, body: unknown): Promise<ScimResource> {
    authorize(actor.principal, 'owner', organizationId);
    return this.#write(async (trx) => {
      const patched = applyPatch(await this.#get(trx, organizationId, accountId), body);
      return this.#update(trx, actor, organizationId, accountId, readUserInput(patched));
    });
  }

  /**
   * Removes the person from the organization. An account that belongs to no other organization is
   * disabled too: it was the company's, and a deprovisioned employee must not keep signing in to
   * the apps with it; it is kept (not deleted) so that the audit log and a re-provisioning find it.
   */
  async delete(actor: AdminActor, organizationId: string, accountId: string): Promise<void> {
    authorize(actor.principal, 'owner', organizationId);
    const { organizations, organizationUsers, users, roles } = this.#deps;
    await this.#write(async (trx) => {
      const user = await users.find(trx, organizationId, accountId);
      if (!user) throw scimNotFound();
      await users.unlink(trx, organizationId, accountId);
      await roles.sync(trx, actor, organizationId, [accountId]);
      const elsewhere = (await organizations.organizationsOfAccount(accountId, trx)).some((organization) => organization.id !== organizationId);
      if (!elsewhere && !user.disabled) await organizationUsers.disable(actor, organizationId, accountId, trx);
      await organizationUsers.remove(actor, organizationId, accountId, trx);
    });
  }

  async #update(trx: Db, actor: AdminActor, organizationId: string, accountId: string, input: UserInput): Promise<ScimResource> {
    const { accounts, users, organizationUsers } = this.#deps;
    const before = await users.find(trx, organizationId, accountId);
    if (!before) throw scimNotFound();
    const email = await this.#emailInDomains(trx, organizationId, input.userName);
    if (email !== before.email && (await accounts.findByEmail(email, trx))) throw uniqueness(`${email} already has an account.`);
    await accounts.update(trx, accountId, { email, name: input.name, given_name: input.givenName, family_name: input.familyName });
    await users.link(trx, organizationId, accountId, input.externalId);
    await this.#record(trx, actor, organizationId, accountId, 'user.updated', describeRecord(before), describe(input, email));
    if (input.active === false && !before.disabled) await organizationUsers.disable(actor, organizationId, accountId, trx);
    if (input.active === true && before.disabled) await organizationUsers.enable(actor, organizationId, accountId, trx);
    return this.#get(trx, organizationId, accountId);
  }

  async #emailInDomains(trx: Db, organizationId: string, userName: string): Promise<string> {
    const email = normalizeEmail(userName);
    const domain = emailDomain(email);
    const proven = (await this.#deps.organizations.domainsOf(organizationId, trx)).filter((row) => row.verified_at !== null).map((row) => row.domain);
    if (!domain || !proven.includes(domain)) throw invalidValue(`userName must be an email address in one of the organization's verified domains.`);
    return email;
  }

  async #get(db: Db, organizationId: string, accountId: string): Promise<ScimResource> {
    const record = await this.#deps.users.find(db, organizationId, accountId);
    if (!record) throw scimNotFound();
    const [resource] = await this.#resources(db, organizationId, [record]);
    return resource!;
  }

  async #resources(db: Db, organizationId: string, records: ScimUserRecord[]): Promise<ScimResource[]> {
    const groups = await this.#deps.users.groupsOf(
      db,
      organizationId,
      records.map((record) => record.accountId),
    );
    return records.map((record) => userResource(this.#deps.baseUrl, record, groups.get(record.accountId) ?? []));
  }

  #write<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return scimTransaction(this.#deps.db, 'externalId or userName is already taken.', work);
  }

  #record(trx: Db, actor: AdminActor, organizationId: string, accountId: string, action: string, before: unknown, after: unknown) {
    return recordScimChange(this.#deps.audit, trx, actor, { organizationId, action, target: { type: 'account', id: accountId }, before, after });
  }
}

const describe = (input: UserInput, email: string) => ({ email, externalId: input.externalId, name: input.name });
const describeRecord = (record: ScimUserRecord) => ({ email: record.email, externalId: record.externalId, name: record.name, disabled: record.disabled });
