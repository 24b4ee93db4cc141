import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { HomeRealmDiscovery } from '../hrd/home-realm-discovery.ts';
import { OrganizationHomeRealmDiscovery } from '../hrd/organization-home-realm-discovery.ts';
import type { OrganizationsModule } from '../orgs/organizations.module.ts';
import { SsoEnforcement } from '../orgs/sso-enforcement.ts';
import { AccountLinking } from './account-linking.ts';
import { ConnectionRepository } from './connection.repository.ts';
import { ConnectionRegistry } from './connection-registry.ts';
import { ConnectionSetupService } from './connection-setup.service.ts';
import { FederatedIdentityRepository } from './federated-identity.repository.ts';
import { FederationService } from './federation.service.ts';
import { FederationCallbackRepository } from './federation-callback.repository.ts';
import { FederationStateBox } from './federation-state.ts';
import { OidcConnection, OidcDiscoveryCache } from './oidc/oidc.connection.ts';
import { SamlConnection } from './saml/saml.connection.ts';
import { SamlMessageRepository } from './saml/saml-message.repository.ts';
import { SocialAccountLinking } from './social/social-linking.ts';
import { SocialSignIn } from './social/social-sign-in.ts';

/** Upstream connections (company IdPs and social providers), home-realm discovery and SSO enforcement, for services.ts. */
export function createFederation(config: Config, db: Db, secretBox: SecretBox, accounts: AccountRepository, orgs: OrganizationsModule) {
  const connections = new ConnectionRepository(db, secretBox);
  const federatedIdentities = new FederatedIdentityRepository(db);
  const samlMessages = new SamlMessageRepository(db);
  const states = new FederationStateBox(config.keyEncryptionSecret, config.keyEncryptionSecretPrevious);
  const allowInsecureRequests = config.env !== 'production';
  const discovery = new OidcDiscoveryCache();
  const oidcDependencies = { issuer: config.issuer, states, discovery, allowInsecureRequests };
  const socialSignIn = new SocialSignIn(config.social, oidcDependencies);
  const registry = new ConnectionRegistry(
    connections,
    {
      saml: (record) => new SamlConnection(record, { issuer: config.issuer, states, messages: samlMessages }),
      oidc: (record) => new OidcConnection(record, oidcDependencies),
    },
    socialSignIn.connections,
  );
  const ssoEnforcement = new SsoEnforcement(orgs.organizations, connections);
  const socialLinking = new SocialAccountLinking({ db, accounts, identities: federatedIdentities, ssoEnforcement });
  return {
    connections,
    federatedIdentities,
    federationStates: states,
    connectionSetup: new ConnectionSetupService({ connections, organizations: orgs.organizationService, issuer: config.issuer, allowInsecureRequests }),
    federation: new FederationService({
      registry,
      callbacks: new FederationCallbackRepository(db, secretBox),
      policies: { enterprise: new AccountLinking(db, accounts, federatedIdentities, orgs.organizations), social: socialLinking },
      samlMessages,
    }),
    homeRealmDiscovery: new OrganizationHomeRealmDiscovery(orgs.organizations, connections) as HomeRealmDiscovery,
    ssoEnforcement,
    socialSignIn,
    socialLinking,
  };
}
