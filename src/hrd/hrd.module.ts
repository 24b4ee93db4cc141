import type { ConnectionRepository } from '../federation/connection.repository.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import type { HomeRealmDiscovery } from './home-realm-discovery.ts';
import { OrganizationHomeRealmDiscovery } from './organization-home-realm-discovery.ts';
import { SsoEnforcement } from './sso-enforcement.ts';

/** Where an email signs in: home-realm discovery and SSO enforcement, over organizations and their connections, for services.ts. */
export function createSignInRouting(organizations: OrganizationRepository, connections: ConnectionRepository) {
  return {
    homeRealmDiscovery: new OrganizationHomeRealmDiscovery(organizations, connections) as HomeRealmDiscovery,
    ssoEnforcement: new SsoEnforcement(organizations, connections),
  };
}
