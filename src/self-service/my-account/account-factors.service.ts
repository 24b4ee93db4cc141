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

export interface AccountFactorsDependencies {
  db: Db;
  factors: Pick<Factors, 'clock' | 'service' | 'confirmation' | 'notices' | 'policies' | 'sessionConfirmations'>;
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
  async confirmSession(account: AccountRow, sessionUid: string, ip: string, secret: string): Promise<boolean> {
    const { db, factors, accountService, loginLimiter } = this.#deps;
    const method = this.#strongest(account, await factors.service.summary(account.id));
    // A passkey confirms through its own ceremony (not offered on this form).
    if (method !== 'totp' && method !== 'password') return false;
    const confirmed =
      method === 'totp'
        ? (await factors.confirmation.confirm(account.id, ip, { kind: 'totp', code: secret })) !== undefined
        : (await loginLimiter.attempt(account.email, ip, () => accountService.authenticateWithPassword(account.email, secret)))?.id === account.id;
    if (confirmed) await factors.sessionConfirmations.record(db, sessionUid, account.id, method, factors.clock.now());
    return confirmed;
  }

  beginTotp(account: AccountRow) {
    return this.#deps.factors.service.beginTotp(account.id, account.email);
  }

  pendingTotp(account: AccountRow) {
    return this.#deps.factors.service.pendingTotp(account.id, account.email);
  }

  async confirmTotp(account: AccountRow, code: string, locale: Locale) {
    const result = await this.#deps.factors.service.confirmTotp(account.id, code);
    if (result.confirmed) await this.#deps.factors.notices.factorChanged(account.id, 'added', 'totp', locale);
    return result;
  }

  async newRecoveryCodes(account: AccountRow, locale: Locale): Promise<string[]> {
    const { factors } = this.#deps;
    if (!(await factors.service.summary(account.id)).hasSecondFactor) throw new AppError('factors.no_second_factor', 400);
    const codes = await factors.service.newRecoveryCodes(account.id);
    await factors.notices.factorChanged(account.id, 'added', 'recovery_code', locale);
    return codes;
  }

  async removeTotp(account: AccountRow, locale: Locale): Promise<void> {
    const { db, factors } = this.#deps;
    await db.transaction().execute(async (trx) => {
      const summary = await factors.service.summary(account.id, trx);
      const lastFactor = summary.passkeys.length === 0;
      if (lastFactor && (await factors.policies.policiesOfAccount(account.id, trx)).length > 0) throw new LastFactorRequiredError();
      await factors.service.removeTotp(trx, account.id);
    });
    await factors.notices.factorChanged(account.id, 'removed', 'totp', locale);
  }

  #strongest(account: AccountRow, summary: Awaited<ReturnType<Factors['service']['summary']>>): FreshConfirmationMethod | undefined {
    if (summary.passkeys.length) return 'passkey';
    if (summary.totp) return 'totp';
    return account.password_hash ? 'password' : undefined;
  }
}
