import type { ConnectionRepository } from '../federation/connection.repository.ts';
import { emailDomain } from '../orgs/domain-name.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import type { HomeRealmDiscovery, SignInRoute } from './home-realm-discovery.ts';

const password: SignInRoute = { kind: 'password' };

/**
 * An email goes to its organization's IdP when its domain is proven (DNS or operator) by an
 * organization that has an enabled connection; everything else signs in with a password.
 */
export class OrganizationHomeRealmDiscovery implements HomeRealmDiscovery {
  readonly #organizations: OrganizationRepository;
  readonly #connections: ConnectionRepository;

  constructor(organizations: OrganizationRepository, connections: ConnectionRepository) {
    this.#organizations = organizations;
    this.#connections = connections;
  }

  async discover(email: string): Promise<SignInRoute> {
    const domain = emailDomain(email);
    const route = domain ? await this.discoverDomain(domain) : password;
    // The break-glass owner of an organization enforcing SSO signs in with a password and a second factor.
    if (route.kind === 'federated') {
      const verified = await this.#organizations.findVerifiedDomain(domain!);
      if (verified && (await this.#organizations.isBreakGlassEmail(verified.organization_id, email))) return password;
    }
    return route;
  }

  /** The same decision for a bare domain: a relying party's `domain_hint`. */
  async discoverDomain(domain: string): Promise<SignInRoute> {
    const verified = await this.#organizations.findVerifiedDomain(domain.trim().toLowerCase());
    const connection = verified && (await this.#connections.firstEnabledOfOrganization(verified.organization_id));
    return connection ? { kind: 'federated', connectionId: connection.id } : password;
  }
}
