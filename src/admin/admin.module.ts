import type { AccountRepository } from '../accounts/account.repository.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { SignInAudit } from '../audit/sign-in-audit.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { ConnectionRepository } from '../federation/connection.repository.ts';
import type { ConnectionSetupService } from '../federation/connection-setup.service.ts';
import type { ConnectionTestTickets } from '../federation/connection-test-tickets.ts';
import type { SsoEnforcementSetupService } from '../hrd/sso-enforcement-setup.service.ts';
import { adminCenterClientSecret } from '../oidc/admin-center-client.ts';
import type { ClientRepository } from '../oidc/client.repository.ts';
import { OrganizationAdminRepository } from '../orgs/organization-admin.repository.ts';
import { OrganizationMemberRepository } from '../orgs/organization-member.repository.ts';
import type { OrganizationsModule } from '../orgs/organizations.module.ts';
import type { Locale } from '../ui/i18n.ts';
import { AdminApiClientRepository } from './admin-api-client.repository.ts';
import { AdminApiClientsService } from './admin-api-clients.service.ts';
import { AdminApiTokens } from './admin-api-token.ts';
import { AdminAppsService } from './admin-apps.service.ts';
import { AdminConnectionsService } from './admin-connections.service.ts';
import { AdminOrganizationsService } from './admin-organizations.service.ts';
import { accountPrincipal, isAdmin } from './admin-principal.ts';
import { AuditEventsService } from './audit-events.service.ts';
import { AdminCenterSessionRepository } from './center/admin-center-session.repository.ts';
import { AdminCenterSignIn } from './center/admin-center-sign-in.ts';
import { OrganizationAdminsService } from './organization-admins.service.ts';
import { OrganizationAppsRepository } from './organization-apps.repository.ts';
import { OrganizationUsersService } from './organization-users.service.ts';
import { PlatformOperatorRepository } from './platform-operator.repository.ts';
import { PlatformOperatorsService } from './platform-operators.service.ts';

export interface AdminModuleDependencies {
  config: Config;
  db: Db;
  secretBox: SecretBox;
  accounts: AccountRepository;
  clients: ClientRepository;
  orgs: OrganizationsModule;
  /** SSO connections as the CLI sets them up: the admin center's SSO pages call the same services. */
  sso: { connections: ConnectionRepository; setup: ConnectionSetupService; tickets: ConnectionTestTickets; enforcement: SsoEnforcementSetupService };
  signOutEverywhere(trx: Db, accountId: string, reason: string): Promise<void>;
  resetFactors(trx: Db, accountId: string): Promise<void>;
  invite(invitee: { email: string; name?: string | undefined; locale: Locale }): Promise<{ accountId: string }>;
}

/** Roles, the audit log and the admin services shared by the admin API, the admin center and the CLI, for services.ts. */
export function createAdmin({ config, db, secretBox, accounts, clients, orgs, sso, signOutEverywhere, resetFactors, invite }: AdminModuleDependencies) {
  const audit = new AuditLog();
  const operators = new PlatformOperatorRepository();
  const organizationAdmins = new OrganizationAdminRepository();
  const members = new OrganizationMemberRepository();
  const adminApiClients = new AdminApiClientRepository();
  const adminApiTokens = new AdminApiTokens({
    db,
    issuer: config.issuer,
    secretBox,
    accounts,
    operators,
    organizationAdmins,
    adminApiClients,
    keyRefreshSeconds: config.keyRefreshSeconds,
  });
  return {
    auditLog: audit,
    signInAudit: new SignInAudit(db, audit),
    auditEvents: new AuditEventsService(db, audit),
    adminApiTokens,
    adminCenterSignIn: new AdminCenterSignIn({
      db,
      issuer: config.issuer,
      clientSecret: adminCenterClientSecret(config),
      secretBox,
      sessions: new AdminCenterSessionRepository(),
      adminApiTokens,
    }),
    principalSources: { db, operators, organizationAdmins },
    /** Whether the account holds any admin role (My account shows the way to the admin center). */
    isAdministrator: async (accountId: string) => isAdmin(await accountPrincipal({ db, operators, organizationAdmins }, accountId)),
    platformOperators: new PlatformOperatorsService({ db, accounts, operators, audit }),
    organizationAdmins: new OrganizationAdminsService({ db, accounts, organizationAdmins, audit }),
    organizationUsers: new OrganizationUsersService({
      db,
      accounts,
      members,
      organizations: orgs.organizations,
      organizationAdmins,
      operators,
      signOutEverywhere,
      resetFactors,
      invite,
      audit,
    }),
    adminOrganizations: new AdminOrganizationsService({ db, organizations: orgs.organizations, organizationService: orgs.organizationService, audit }),
    adminConnections: new AdminConnectionsService({ db, issuer: config.issuer, ...sso, organizations: orgs.organizations, audit }),
    adminApiClients: new AdminApiClientsService({ db, issuer: config.issuer, clients, adminApiClients, audit }),
    adminApps: new AdminAppsService({ db, clients, organizationApps: new OrganizationAppsRepository(), audit, secretGraceDays: config.clientSecretGraceDays }),
  };
}

export type AdminModule = ReturnType<typeof createAdmin>;
