import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AttemptLimiter } from '../../abuse/attempt-limiter.ts';
import type { AccountService } from '../../accounts/account.service.ts';
import type { Db } from '../../db/database.ts';
import type { AccountRow } from '../../db/schema.ts';
import type { Factors } from '../../factors/factors.module.ts';
import { AppError } from '../../http/errors.ts';
import type { Locale } from '../../ui/i18n.ts';

/** A factor change needs a confirmation of this browser session no older than this. */
export const freshConfirmationMs = 5 * 60 * 1000;

/** How this account confirms it's the holder before a factor change: its strongest way. */
export type FreshConfirmationMethod = 'passkey' | 'totp' | 'password';

/** What the person gave to confirm the session: a code or password typed, or a passkey assertion. */
export type SessionProof = { secret: string } | { challengeId: string; response: AuthenticationResponseJSON };

export type RemovableFactor = { kind: 'totp' } | { kind: 'passkey'; credentialId: string };

export interface AccountFactorsDependencies {
  db: Db;
  factors: Pick<Factors, 'clock' | 'service' | 'passkeys' | 'enrolment' | 'confirmation' | 'notices' | 'policies' | 'sessionConfirmations'>;
  accountService: Pick<AccountService, 'authenticateWithPassword'>;
  loginLimiter: Pick<AttemptLimiter, 'attempt'>;
}

/**
 * My account's factors: list, enrol (authenticator app with recovery codes shown once), new
 * recovery codes, remove. Every change needs a fresh confirmation of this session with the
 * strongest factor the account has (within 5 minutes), sends a notice by mail, and (through the
 * factor service) ends device trust. Under an organization's MFA requirement the last factor stays.
 */
/** Removing it would leave no second factor on an account its organization requires one of. */
export class LastFactorRequiredError extends AppError {
  constructor() {
    super('factors.last_factor_required', 409);
  }
}

export class AccountFactorsService {
  readonly #deps: AccountFactorsDependencies;

  constructor(deps: AccountFactorsDependencies) {
    this.#deps = deps;
  }

  async overview(account: AccountRow, sessionUid: string) {
    const summary = await this.#deps.factors.service.summary(account.id);
    return { summary, confirmWith: this.#strongest(account, summary), fresh: await this.isFresh(account.id, sessionUid) };
  }

  isFresh(accountId: string, sessionUid: string): Promise<boolean> {
    const since = new Date(this.#deps.factors.clock.now().getTime() - freshConfirmationMs);
    return this.#deps.factors.sessionConfirmations.confirmedSince(sessionUid, accountId, since);
  }

  /** Checks the strongest factor (a wrong one counted like at sign-in) and records the session as freshly confirmed. */
  async confirmSession(account: AccountRow, sessionUid: string, ip: string, proof: SessionProof): Promise<boolean> {
    const { db, factors, accountService, loginLimiter } = this.#deps;
    const method = this.#strongest(account, await factors.service.summary(account.id));
    let confirmed = false;
    if (method === 'passkey' && 'challengeId' in proof) {
      confirmed = (await factors.confirmation.confirm(account.id, ip, { kind: 'passkey', ...proof })) !== undefined;
    } else if (method === 'totp' && 'secret' in proof) {
      confirmed = (await factors.confirmation.confirm(account.id, ip, { kind: 'totp', code: proof.secret })) !== undefined;
    } else if (method === 'password' && 'secret' in proof) {
      const checked = await loginLimiter.attempt(account.email, ip, () => accountService.authenticateWithPassword(account.email, proof.secret));
      confirmed = checked?.id === account.id;
    }
    if (confirmed && method) await factors.sessionConfirmations.record(db, sessionUid, account.id, method, factors.clock.now());
    return confirmed;
  }

  /** A passkey ceremony for this account's own passkeys (allowCredentials: the account is known here). */
  sessionPasskeyOptions(account: AccountRow) {
    return this.#deps.factors.passkeys.authenticationOptions(account.id);
  }

  passkeyRegistrationOptions(account: AccountRow) {
    return this.#deps.factors.enrolment.passkeyOptions(account.id, account.email);
  }

  async addPasskey(account: AccountRow, challengeId: string, response: RegistrationResponseJSON, name: string, locale: Locale): Promise<boolean> {
    return (await this.#deps.factors.enrolment.addPasskey(account.id, challengeId, response, name, locale)) !== undefined;
  }

  beginTotp(account: AccountRow) {
    return this.#deps.factors.enrolment.beginTotp(account.id, account.email);
  }

  pendingTotp(account: AccountRow) {
    return this.#deps.factors.enrolment.pendingTotp(account.id, account.email);
  }

  confirmTotp(account: AccountRow, code: string, locale: Locale) {
    return this.#deps.factors.enrolment.confirmTotp(account.id, code, locale);
  }

  async newRecoveryCodes(account: AccountRow, locale: Locale): Promise<string[]> {
    const { factors } = this.#deps;
    if (!(await factors.service.summary(account.id)).hasSecondFactor) throw new AppError('factors.no_second_factor', 400);
    const codes = await factors.service.newRecoveryCodes(account.id);
    await factors.notices.factorChanged(account.id, 'added', 'recovery_code', locale);
    return codes;
  }

  async removeFactor(account: AccountRow, factor: RemovableFactor, locale: Locale): Promise<void> {
    const { db, factors } = this.#deps;
    await db.transaction().execute(async (trx) => {
      const summary = await factors.service.summary(account.id, trx);
      const remaining = Number(summary.totp !== undefined) + summary.passkeys.length - 1;
      if (remaining < 1 && (await factors.policies.policiesOfAccount(account.id, trx)).length > 0) throw new LastFactorRequiredError();
      if (factor.kind === 'totp') await factors.service.removeTotp(trx, account.id);
      else await factors.service.removePasskey(trx, account.id, factor.credentialId);
    });
    await factors.notices.factorChanged(account.id, 'removed', factor.kind, locale);
  }

  #strongest(account: AccountRow, summary: Awaited<ReturnType<Factors['service']['summary']>>): FreshConfirmationMethod | undefined {
    if (summary.passkeys.length) return 'passkey';
    if (summary.totp) return 'totp';
    return account.password_hash ? 'password' : undefined;
  }
}
