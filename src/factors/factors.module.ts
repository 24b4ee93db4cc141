import { AttemptLimiter } from '../abuse/attempt-limiter.ts';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { LinkTokenRepository } from '../accounts/link-token.repository.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { MailOutbox } from '../mail/mail-outbox.ts';
import { type Clock, systemClock } from './clock.ts';
import { DeviceRepository } from './device.repository.ts';
import { DeviceCheckService } from './device-check.service.ts';
import { DeviceSignIns } from './device-sign-ins.ts';
import { FactorService } from './factor.service.ts';
import { FactorConfirmation } from './factor-confirmation.ts';
import { FactorEnrolment } from './factor-enrolment.ts';
import { FactorNotices } from './factor-notices.ts';
import { FactorPolicy } from './factor-policy.ts';
import { FactorSettingsRepository } from './factor-settings.repository.ts';
import { PasskeyRepository } from './passkey.repository.ts';
import { PasskeyService } from './passkey.service.ts';
import { FactorPolicyRepository } from './policy.repository.ts';
import { RecoveryCodeRepository } from './recovery-code.repository.ts';
import { SessionConfirmationRepository } from './session-confirmation.repository.ts';
import { TotpRepository } from './totp.repository.ts';

export interface FactorModuleDependencies {
  config: Config;
  db: Db;
  secretBox: SecretBox;
  accounts: AccountRepository;
  linkTokens: LinkTokenRepository;
  outbox: MailOutbox;
  clock?: Clock;
}

/** Second factors, devices and their policy (issue 10), wired once for the app and the CLI. */
export function createFactors({ config, db, secretBox, accounts, linkTokens, outbox, clock = systemClock() }: FactorModuleDependencies) {
  const settings = new FactorSettingsRepository(db);
  const passkeyRepository = new PasskeyRepository(db);
  const rpName = new URL(config.issuer).hostname;
  const factors = new FactorService({
    db,
    secretBox,
    clock,
    issuerName: rpName,
    totp: new TotpRepository(db),
    recoveryCodes: new RecoveryCodeRepository(db),
    passkeys: passkeyRepository,
    settings,
  });
  const passkeys = new PasskeyService({ db, clock, issuer: config.issuer, rpName, passkeys: passkeyRepository, settings });
  const devices = new DeviceCheckService({ db, clock, accounts, devices: new DeviceRepository(db), settings });
  const factorPolicies = new FactorPolicyRepository(db);
  const { perAccount, perIp } = config.rateLimits.factor;
  const notices = new FactorNotices({ db, issuer: config.issuer, accounts, tokens: linkTokens, outbox });
  return {
    clock,
    service: factors,
    passkeys,
    devices,
    policies: factorPolicies,
    policy: new FactorPolicy({ clock, factors, devices, policies: factorPolicies }),
    confirmation: new FactorConfirmation({ factors, passkeys, devices, limiter: new AttemptLimiter(db, 'factor', { email: perAccount, ip: perIp }) }),
    notices,
    enrolment: new FactorEnrolment({ factors, passkeys, notices }),
    signIns: new DeviceSignIns({ devices, notices }),
    sessionConfirmations: new SessionConfirmationRepository(db),
  };
}

export type Factors = ReturnType<typeof createFactors>;
