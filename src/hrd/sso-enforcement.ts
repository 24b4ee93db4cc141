import type { OrganizationRow } from '../db/schema.ts';
import type { ConnectionRepository } from '../federation/connection.repository.ts';
import { emailDomain } from '../orgs/domain-name.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';

export interface EnforcedSso {
  organizationId: string;
  connectionId: string;
}

/**
 * When an organization enforces SSO, its members and everyone in its proven domains sign in at the
 * company IdP only: a password no longer signs them in, and password recovery points them there.
 */
export class SsoEnforcement {
  readonly #organizations: OrganizationRepository;
  readonly #connections: ConnectionRepository;

  constructor(organizations: OrganizationRepository, connections: ConnectionRepository) {
    this.#organizations = organizations;
    this.#connections = connections;
  }

  /**
   * The company sign-in this email (or account) must use instead of a password; undefined when a
   * password is fine. The email's domain is public knowledge; membership of an account is not, so
   * callers answering someone not yet authenticated use `forEmailDomain` alone.
   */
  async requiredFor(email: string, accountId?: string): Promise<EnforcedSso | undefined> {
    return (await this.forEmailDomain(email)) ?? (accountId ? await this.forAccount(accountId) : undefined);
  }

  /** Enforcement by the organization that proved the email's domain. */
  async forEmailDomain(email: string): Promise<EnforcedSso | undefined> {
    const domain = emailDomain(email);
    const verified = domain ? await this.#organizations.findVerifiedDomain(domain) : undefined;
    const organization = verified ? await this.#organizations.findById(verified.organization_id) : undefined;
    // The break-glass owner keeps the password (and second factor): the one way in should the IdP fail.
    if (organization && (await this.#organizations.isBreakGlassEmail(organization.id, email))) return undefined;
    return this.#firstEnforcing(organization ? [organization] : []);
  }

  /** Enforcement by an organization the account is a member of, whatever its email. */
  async forAccount(accountId: string): Promise<EnforcedSso | undefined> {
    const organizations = await this.#organizations.organizationsOfAccount(accountId);
    return this.#firstEnforcing(organizations.filter((organization) => organization.sso_break_glass_account_id !== accountId));
  }

  async #firstEnforcing(organizations: OrganizationRow[]): Promise<EnforcedSso | undefined> {
    for (const organization of organizations.filter((candidate) => candidate.sso_enforced)) {
      const connection = await this.#connections.firstEnabledOfOrganization(organization.id);
      if (connection) return { organizationId: organization.id, connectionId: connection.id };
    }
    return undefined;
  }
}
