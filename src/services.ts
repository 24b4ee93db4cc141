import { createAttemptLimiters } from './abuse/attempt-limiter.ts';
import { AccountRepository } from './accounts/account.repository.ts';
import { AccountService } from './accounts/account.service.ts';
import { AccountPasswordService } from './accounts/account-password.service.ts';
import { LinkTokenRepository } from './accounts/link-token.repository.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import { createAdmin } from './admin/admin.module.ts';
import type { Config } from './config.ts';
import { ConsentRepository } from './consents/consent.repository.ts';
import { SecretBox } from './crypto/secret-box.ts';
import type { Db } from './db/database.ts';
import { TransactionScope } from './db/transaction-scope.ts';
import type { DeviceCheckService } from './factors/device-check.service.ts';
import { createFactors } from './factors/factors.module.ts';
import { ConnectionRepository } from './federation/connection.repository.ts';
import { createFederation } from './federation/federation.module.ts';
import { SocialEmailConfirmation } from './federation/social/email-confirmation.ts';
import { createSignInRouting } from './hrd/hrd.module.ts';
import { createSsoSetup } from './hrd/sso-setup.module.ts';
import { MailOutbox } from './mail/mail-outbox.ts';
import { OutgoingMailRepository } from './mail/outgoing-mail.repository.ts';
import { ServiceMetrics } from './metrics/service-metrics.ts';
import { AccountSessionsRepository } from './oidc/account-sessions.repository.ts';
import { ClientRepository } from './oidc/client.repository.ts';
import { LogoutDeliveryRepository } from './oidc/logout/logout-delivery.repository.ts';
import { SignOutService } from './oidc/logout/sign-out.service.ts';
import { ResourceServerRegistry } from './oidc/resource-servers.ts';
import { SessionDeviceRepository } from './oidc/session-devices.repository.ts';
import { createOrganizations } from './orgs/organizations.module.ts';
import { createScim } from './scim/scim.module.ts';
import { InvitationService } from './self-service/invitations/invitation.service.ts';
import { AccountFactorsService } from './self-service/my-account/account-factors.service.ts';
import { AccountSessionsService } from './self-service/my-account/account-sessions.service.ts';
import { MyAccountService } from './self-service/my-account/my-account.service.ts';
import { NotMeService } from './self-service/not-me/not-me.service.ts';
import { RecoveryService } from './self-service/recovery/recovery.service.ts';
import { SignUpService } from './self-service/signup/signup.service.ts';

/** Accounts and their link tokens come first: factors mail through them, and signing out (which factors end) is what password changes call. */
function createAccounts(config: Config, db: Db, repository: AccountRepository, linkTokens: LinkTokenRepository, signOut: SignOutService) {
  const hasher = new PasswordHasher(config.bcryptCost, config.passwordPeppers);
  return {
    repository,
    hasher,
    linkTokens,
    service: new AccountService(db, repository, hasher),
    passwords: new AccountPasswordService({ db, accounts: repository, tokens: linkTokens, signOut, hasher }),
  };
}

function createMail(config: Config, db: Db, secretBox: SecretBox) {
  const outgoingMails = new OutgoingMailRepository(db, config.mail.leaseSeconds);
  return { outgoingMails, outbox: new MailOutbox(db, outgoingMails, secretBox) };
}

function createOidc(config: Config, db: Db, secretBox: SecretBox, deviceTrust: DeviceCheckService) {
  const clients = new ClientRepository(db, secretBox);
  const sessions = new AccountSessionsRepository();
  const logoutDeliveries = new LogoutDeliveryRepository(db);
  const signOut = new SignOutService({
    sessions,
    clients,
    deliveries: logoutDeliveries,
    deviceTrust,
    giveUpAfterSeconds: config.backchannelLogout.giveUpAfterSeconds,
  });
  return {
    clients,
    resourceServers: new ResourceServerRegistry(db),
    sessions,
    sessionDevices: new SessionDeviceRepository(),
    logoutDeliveries,
    signOut,
    // The adapter works in the transaction of the provider request it serves (see providerRequestTransaction).
    requestTransactions: new TransactionScope(db),
  };
}

/**
 * Repositories and services shared by the HTTP app and the CLI, one nested module per part of
 * src/. Only the composition root (server.ts, app.ts, cli/) sees the whole; it hands each router
 * the few members it uses.
 */
export function createServices(config: Config, db: Db) {
  const secretBox = new SecretBox(config.keyEncryptionSecret, config.keyEncryptionSecretPrevious);
  const mail = createMail(config, db, secretBox);
  const accountRepository = new AccountRepository(db);
  const linkTokens = new LinkTokenRepository(db);
  const factors = createFactors({ config, db, secretBox, accounts: accountRepository, linkTokens, outbox: mail.outbox });
  const oidc = createOidc(config, db, secretBox, factors.devices);
  const { sessions } = oidc;
  const accounts = createAccounts(config, db, accountRepository, linkTokens, oidc.signOut);
  const orgs = createOrganizations(config, db);
  const connections = new ConnectionRepository(db, secretBox);
  const hrd = createSignInRouting(orgs.organizations, connections);
  const federation = createFederation(config, db, { secretBox, accounts: accounts.repository, orgs, connections, ssoEnforcement: hrd.ssoEnforcement });
  const abuse = createAttemptLimiters(db, config.rateLimits);
  const consents = new ConsentRepository(db);

  const linkDependencies = { db, config, accounts: accounts.repository, tokens: accounts.linkTokens, outbox: mail.outbox };
  const selfService = {
    signUp: new SignUpService({ ...linkDependencies, accountService: accounts.service, hasher: accounts.hasher }),
    recovery: new RecoveryService({ ...linkDependencies, passwords: accounts.passwords }),
    invitations: new InvitationService({ ...linkDependencies, accountService: accounts.service, passwords: accounts.passwords }),
    myAccount: new MyAccountService({
      db,
      accounts: accounts.repository,
      accountService: accounts.service,
      hasher: accounts.hasher,
      identities: federation.identities,
      connections: federation.connections,
      sessions,
      signOut: oidc.signOut,
      socialSignIn: federation.socialSignIn,
      loginLimiter: abuse.loginLimiter,
      consents,
    }),
    accountFactors: new AccountFactorsService({ db, factors, accountService: accounts.service, loginLimiter: abuse.loginLimiter }),
    socialEmailConfirmation: new SocialEmailConfirmation({ config, outbox: mail.outbox, linking: federation.socialLinking }),
    accountSessions: new AccountSessionsService({
      db,
      sessions,
      sessionDevices: oidc.sessionDevices,
      clients: oidc.clients,
      devices: factors.devices,
      signOut: oidc.signOut,
    }),
    notMe: new NotMeService({ db, config, accounts: accounts.repository, tokens: accounts.linkTokens, signOut: oidc.signOut }),
  };
  const sso = createSsoSetup({ config, db, orgs, connections, accounts: accounts.repository, factors, outbox: mail.outbox, setup: federation.connectionSetup });
  const admin = createAdmin({
    config,
    db,
    secretBox,
    accounts: accounts.repository,
    clients: oidc.clients,
    orgs,
    sso: { connections, setup: federation.connectionSetup, tickets: federation.testTickets, enforcement: sso.enforcement },
    signOutEverywhere: (trx, accountId, reason) => oidc.signOut.signOutEverywhere(trx, accountId, reason),
    resetFactors: (trx, accountId) => factors.service.removeAll(trx, accountId),
    invite: (invitee) => selfService.invitations.invite(invitee),
  });
  const scim = createScim({
    db,
    issuer: config.issuer,
    accounts: accounts.repository,
    organizations: orgs.organizations,
    organizationUsers: admin.organizationUsers,
    audit: admin.auditLog,
  });
  // Recorded always (cheap), exposed only with METRICS_PORT (src/metrics/metrics.module.ts).
  const metrics = new ServiceMetrics();
  return { config, db, secretBox, oidc, accounts, orgs, hrd, federation, abuse, consents, mail, selfService, factors, admin, sso, scim, metrics };
}

export type Services = ReturnType<typeof createServices>;
