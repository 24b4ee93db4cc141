import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { OrganizationsModule } from '../orgs/organizations.module.ts';
import { AccountLinking } from './account-linking.ts';
import type { ConnectionRepository } from './connection.repository.ts';
import { ConnectionRegistry } from './connection-registry.ts';
import { ConnectionSetupService } from './connection-setup.service.ts';
import { ConnectionTestTickets } from './connection-test-tickets.ts';
import { FederatedIdentityRepository } from './federated-identity.repository.ts';
import { FederationService } from './federation.service.ts';
import { FederationCallbackRepository } from './federation-callback.repository.ts';
import { FederationStateBox } from './federation-state.ts';
import { OidcConnection, OidcDiscoveryCache } from './oidc/oidc.connection.ts';
import { SamlConnection } from './saml/saml.connection.ts';
import { SamlMessageRepository } from './saml/saml-message.repository.ts';
import { SocialAccountLinking, type SsoRequirement } from './social/social-linking.ts';
import { SocialSignIn } from './social/social-sign-in.ts';
import { pinnedUpstreamFetch } from './upstream-document-fetch.ts';

/** What federation is built on: the connection records and SSO enforcement are shared with home-realm discovery (hrd/). */
export interface FederationDependencies {
  secretBox: SecretBox;
  accounts: AccountRepository;
  orgs: OrganizationsModule;
  connections: ConnectionRepository;
  ssoEnforcement: SsoRequirement;
}

/** Upstream connections (company IdPs and social providers) and account linking, for services.ts. */
export function createFederation(config: Config, db: Db, { secretBox, accounts, orgs, connections, ssoEnforcement }: FederationDependencies) {
  const federatedIdentities = new FederatedIdentityRepository(db);
  const samlMessages = new SamlMessageRepository(db);
  const states = new FederationStateBox(config.keyEncryptionSecret, config.keyEncryptionSecretPrevious);
  const allowInsecureRequests = config.allowInsecureUpstreams ?? config.env !== 'production';
  const discovery = new OidcDiscoveryCache();
  const fetchPolicy = { allowInsecure: allowInsecureRequests, dnsServers: config.dnsServers };
  const oidcDependencies = { issuer: config.issuer, states, discovery, allowInsecureRequests, fetch: pinnedUpstreamFetch(fetchPolicy) };
  const socialSignIn = new SocialSignIn(config.social, oidcDependencies);
  const registry = new ConnectionRegistry(
    connections,
    {
      saml: (record) => new SamlConnection(record, { db, issuer: config.issuer, states, messages: samlMessages }),
      oidc: (record) => new OidcConnection(record, oidcDependencies),
    },
    socialSignIn.connections,
  );
  const socialLinking = new SocialAccountLinking({ db, accounts, identities: federatedIdentities, ssoEnforcement });
  return {
    connections,
    identities: federatedIdentities,
    states,
    testTickets: new ConnectionTestTickets(config.keyEncryptionSecret, config.keyEncryptionSecretPrevious),
    connectionSetup: new ConnectionSetupService({
      db,
      connections,
      organizations: orgs.organizations,
      issuer: config.issuer,
      fetchPolicy,
    }),
    service: new FederationService({
      db,
      registry,
      callbacks: new FederationCallbackRepository(secretBox),
      policies: { enterprise: new AccountLinking(db, accounts, federatedIdentities, orgs.organizations), social: socialLinking },
      samlMessages,
    }),
    socialSignIn,
    socialLinking,
  };
}
