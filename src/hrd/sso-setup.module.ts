import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Factors } from '../factors/factors.module.ts';
import type { ConnectionRepository } from '../federation/connection.repository.ts';
import type { ConnectionSetupService } from '../federation/connection-setup.service.ts';
import { SamlMaintenanceJob } from '../federation/saml/saml-maintenance.job.ts';
import type { MailOutbox } from '../mail/mail-outbox.ts';
import { DnsTxtLookup } from '../orgs/dns-txt-lookup.ts';
import { DomainRecheckJob } from '../orgs/domain-recheck.job.ts';
import { OrganizationAdminRepository } from '../orgs/organization-admin.repository.ts';
import type { OrganizationsModule } from '../orgs/organizations.module.ts';
import { ownerMailer } from '../orgs/owner-mail.ts';
import { SsoEnforcementSetupService } from './sso-enforcement-setup.service.ts';

/** Guided SSO setup across organizations, connections, accounts and factors: enforcement and the daily jobs, for services.ts. */
export function createSsoSetup(deps: {
  config: Config;
  db: Db;
  orgs: OrganizationsModule;
  connections: ConnectionRepository;
  accounts: AccountRepository;
  factors: Factors;
  outbox: MailOutbox;
  setup: ConnectionSetupService;
}) {
  const { db, orgs, connections, outbox } = deps;
  const admins = new OrganizationAdminRepository();
  const mailOwners = ownerMailer(db, outbox);
  return {
    enforcement: new SsoEnforcementSetupService({
      db,
      organizations: orgs.organizations,
      hasEnabledConnection: async (organizationId) => (await connections.firstEnabledOfOrganization(organizationId)) !== undefined,
      accountIdByEmail: async (email) => (await deps.accounts.findByEmail(email))?.id,
      isOwner: async (trx, organizationId, accountId) => (await admins.find(trx, organizationId, accountId))?.role === 'owner',
      hasSecondFactor: async (accountId, trx) => (await deps.factors.service.summary(accountId, trx)).hasSecondFactor,
    }),
    domainRecheck: new DomainRecheckJob({
      db,
      organizations: orgs.organizations,
      dns: new DnsTxtLookup(deps.config.dnsServers),
      mailOwners,
    }),
    samlMaintenance: new SamlMaintenanceJob({
      db,
      connections,
      setup: deps.setup,
      organizationName: async (organizationId) => (await orgs.organizations.findById(organizationId))?.name,
      mailOwners,
    }),
  };
}

export type SsoSetupModule = ReturnType<typeof createSsoSetup>;
