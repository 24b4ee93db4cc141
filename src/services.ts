import { createAttemptLimiters } from './abuse/attempt-limiter.ts';
import { AccountPageService } from './account/account-page.service.ts';
import { AccountRepository } from './accounts/account.repository.ts';
import { AccountService } from './accounts/account.service.ts';
import { AccountPasswordService } from './accounts/account-password.service.ts';
import { AccountSessionsRepository } from './accounts/account-sessions.repository.ts';
import { LinkTokenRepository } from './accounts/link-token.repository.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import type { Config } from './config.ts';
import { ConsentRepository } from './consents/consent.repository.ts';
import { SecretBox } from './crypto/secret-box.ts';
import type { Db } from './db/database.ts';
import { createFederation } from './federation/federation.module.ts';
import { SocialEmailConfirmation } from './federation/social/email-confirmation.ts';
import { InvitationService } from './invitations/invitation.service.ts';
import { MailOutbox } from './mail/mail-outbox.ts';
import { OutgoingMailRepository } from './mail/outgoing-mail.repository.ts';
import { ClientRepository } from './oidc/client.repository.ts';
import { LogoutDeliveryRepository } from './oidc/logout/logout-delivery.repository.ts';
import { SignOutService } from './oidc/logout/sign-out.service.ts';
import { ResourceServerRegistry } from './oidc/resource-servers.ts';
import type { RotationPolicy } from './oidc/signing-keys.ts';
import { createOrganizations } from './orgs/organizations.module.ts';
import { RecoveryService } from './recovery/recovery.service.ts';
import { SignUpService } from './signup/signup.service.ts';

/** Repositories and services shared by the HTTP app and the CLI. */
export function createServices(config: Config, db: Db) {
  const secretBox = new SecretBox(config.keyEncryptionSecret);
  const accounts = new AccountRepository(db);
  const passwordHasher = new PasswordHasher(config.bcryptCost, config.passwordPeppers);
  const accountService = new AccountService(accounts, passwordHasher);
  const outgoingMails = new OutgoingMailRepository(db);
  const mailOutbox = new MailOutbox(outgoingMails, secretBox);
  const tokens = new LinkTokenRepository(db);
  const clients = new ClientRepository(db, secretBox);
  const logoutDeliveries = new LogoutDeliveryRepository();
  const signOut = new SignOutService({
    sessions: new AccountSessionsRepository(db),
    clients,
    deliveries: logoutDeliveries,
    giveUpAfterSeconds: config.backchannelLogout.giveUpAfterSeconds,
  });
  const accountPasswords = new AccountPasswordService({ db, accounts, tokens, signOut, hasher: passwordHasher });
  const orgs = createOrganizations(config, db);
  // Home-realm discovery (services.homeRealmDiscovery) and SSO enforcement come with federation.
  const federation = createFederation(config, db, secretBox, accounts, orgs);
  const limiters = createAttemptLimiters(db, config.rateLimits);
  const consents = new ConsentRepository(db);
  const accountPage = new AccountPageService({
    db,
    accounts,
    accountService,
    hasher: passwordHasher,
    identities: federation.federatedIdentities,
    connections: federation.connections,
    sessions: new AccountSessionsRepository(db),
    signOut,
    socialSignIn: federation.socialSignIn,
    loginLimiter: limiters.loginLimiter,
    consents,
  });
  const socialEmailConfirmation = new SocialEmailConfirmation({ config, outbox: mailOutbox, linking: federation.socialLinking });
  return {
    config,
    db,
    secretBox,
    accounts,
    passwordHasher,
    accountService,
    outgoingMails,
    mailOutbox,
    linkTokens: tokens,
    signUp: new SignUpService({ config, accounts, accountService, tokens, hasher: passwordHasher, outbox: mailOutbox }),
    recovery: new RecoveryService({ config, accounts, tokens, passwords: accountPasswords, outbox: mailOutbox }),
    invitations: new InvitationService({ config, accounts, accountService, tokens, passwords: accountPasswords, outbox: mailOutbox }),
    ...limiters,
    accountPage,
    consents,
    socialEmailConfirmation,
    clients,
    logoutDeliveries,
    signOut,
    resourceServers: new ResourceServerRegistry(db),
    ...orgs,
    ...federation,
  };
}

export type Services = ReturnType<typeof createServices>;

/**
 * How `keys rotate` schedules a new generation: published for two key-refresh periods before it
 * signs (every instance has reloaded by then), the previous keys published for the longest lifetime
 * of anything they signed, plus skew, after they stop signing.
 */
export function keyRotationPolicy(config: Config): RotationPolicy {
  const { idTokenSeconds, accessTokenSeconds, clientCredentialsSeconds } = config.ttl;
  return {
    activationDelaySeconds: 2 * config.keyRefreshSeconds,
    retiredKeyGraceSeconds: Math.max(idTokenSeconds, accessTokenSeconds, clientCredentialsSeconds) + 300,
  };
}
