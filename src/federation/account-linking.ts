import type { AccountRepository } from '../accounts/account.repository.ts';
import { normalizeEmail } from '../accounts/email.ts';
import type { Db } from '../db/database.ts';
import type { AccountRow, AccountUpdate } from '../db/schema.ts';
import { isUniqueViolation } from '../db/transaction.ts';
import { emailDomain } from '../orgs/domain-name.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import type { FederatedIdentityRepository } from './federated-identity.repository.ts';
import { FederationError } from './federation-error.ts';
import type { LinkingPolicy, LinkOutcome } from './linking-policy.ts';
import { insertAccountFromProfile, profileNames } from './upstream-account.ts';
import type { ConnectionRecord, UpstreamProfile } from './upstream-connection.ts';

/**
 * The linking policy of company IdPs: maps an upstream profile to an account. Identities are keyed
 * by (connection, subject), never by email alone: an email only links or names an account when it
 * is verified and belongs to a domain the connection's organization has proven, so one company's
 * IdP cannot claim another's users. Such a link needs no sign-in: the organization vouches for it.
 */
export class AccountLinking implements LinkingPolicy {
  readonly #db: Db;
  readonly #accounts: AccountRepository;
  readonly #identities: FederatedIdentityRepository;
  readonly #organizations: OrganizationRepository;

  constructor(db: Db, accounts: AccountRepository, identities: FederatedIdentityRepository, organizations: OrganizationRepository) {
    this.#db = db;
    this.#accounts = accounts;
    this.#identities = identities;
    this.#organizations = organizations;
  }

  async accountFor(profile: UpstreamProfile, connection: ConnectionRecord): Promise<LinkOutcome> {
    try {
      return { kind: 'account', account: await this.#db.transaction().execute((trx) => this.#link(trx, profile, connection)) };
    } catch (error) {
      // Two first sign-ins of the same person raced: the other one created the identity, so use it.
      if (!isUniqueViolation(error)) throw error;
      return { kind: 'account', account: await this.#db.transaction().execute((trx) => this.#link(trx, profile, connection)) };
    }
  }

  /** True when the address is verified upstream and in a domain this connection's organization has proven. */
  async #trustedEmail(trx: Db, profile: UpstreamProfile, connection: ConnectionRecord): Promise<string | undefined> {
    if (!profile.email || !profile.emailVerified || !connection.organizationId) return undefined;
    const domain = emailDomain(profile.email);
    const verified = domain ? await this.#organizations.findVerifiedDomain(domain, trx) : undefined;
    return verified?.organization_id === connection.organizationId ? normalizeEmail(profile.email) : undefined;
  }

  async #link(trx: Db, profile: UpstreamProfile, connection: ConnectionRecord): Promise<AccountRow> {
    const trustedEmail = await this.#trustedEmail(trx, profile, connection);
    const names = profileNames(profile);
    const identity = await this.#identities.find(connection.id, profile.subject, trx);

    if (identity) {
      const account = await this.#accounts.findById(identity.account_id, trx);
      if (!account) throw new FederationError('federation.account_missing');
      const changes: AccountUpdate = { ...names };
      if (trustedEmail && trustedEmail !== account.email) {
        const holder = await this.#accounts.findByEmail(trustedEmail, trx);
        if (!holder) Object.assign(changes, { email: trustedEmail, email_verified: true });
      }
      await this.#accounts.update(trx, account.id, changes);
      await this.#identities.touch(trx, connection.id, profile.subject, profile.email);
      await this.#join(trx, connection, account.id);
      return { ...account, ...changes } as AccountRow;
    }

    if (!profile.email) throw new FederationError('federation.email_missing');
    if (connection.organizationId && !profile.emailVerified) throw new FederationError('federation.email_unverified');
    if (connection.organizationId && !trustedEmail) throw new FederationError('federation.email_outside_domains');

    const existing = await this.#accounts.findByEmail(profile.email, trx);
    let account: AccountRow;
    if (existing) {
      // Only an address the organization has proven links a standard account; anything else would be a takeover.
      if (!trustedEmail) throw new FederationError('federation.email_in_use', { status: 409 });
      if (await this.#identities.accountHasIdentityOn(existing.id, connection.id, trx))
        throw new FederationError('federation.identity_conflict', { status: 409 });
      await this.#accounts.update(trx, existing.id, { ...names, email_verified: true });
      account = { ...existing, ...names, email_verified: true } as AccountRow;
    } else {
      account = await insertAccountFromProfile(this.#accounts, trx, { ...profile, email: profile.email }, trustedEmail !== undefined || profile.emailVerified);
    }
    await this.#identities.insert(trx, { connectionId: connection.id, subject: profile.subject, accountId: account.id, email: profile.email });
    await this.#join(trx, connection, account.id);
    return account;
  }

  async #join(trx: Db, connection: ConnectionRecord, accountId: string): Promise<void> {
    if (connection.organizationId) await this.#organizations.addMember(trx, connection.organizationId, accountId);
  }
}
