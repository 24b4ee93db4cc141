import type { ConnectionRepository } from '../federation/connection.repository.ts';
import type { OrganizationRow } from '../db/schema.ts';
import { emailDomain } from './domain-name.ts';
import type { OrganizationRepository } from './organization.repository.ts';

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

  /** The company sign-in this email (or account) must use instead of a password; undefined when a password is fine. */
  async requiredFor(email: string, accountId?: string): Promise<EnforcedSso | undefined> {
    const candidates: OrganizationRow[] = [];
    const domain = emailDomain(email);
    const verified = domain ? await this.#organizations.findVerifiedDomain(domain) : undefined;
    if (verified) {
      const organization = await this.#organizations.findById(verified.organization_id);
      if (organization) candidates.push(organization);
    }
    if (accountId) candidates.push(...(await this.#organizations.organizationsOfAccount(accountId)));
    for (const organization of candidates.filter((candidate) => candidate.sso_enforced)) {
      const connection = await this.#connections.firstEnabledOfOrganization(organization.id);
      if (connection) return { organizationId: organization.id, connectionId: connection.id };
    }
    return undefined;
  }
}
