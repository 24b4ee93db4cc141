import QRCode from 'qrcode';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { Clock } from './clock.ts';
import type { FactorSettingsRepository } from './factor-settings.repository.ts';
import { codeDigest, newRecoveryCode } from './one-time-code.ts';
import type { PasskeyRepository } from './passkey.repository.ts';
import type { RecoveryCodeRepository } from './recovery-code.repository.ts';
import type { TotpRepository } from './totp.repository.ts';
import { formatTotpSecret, newTotpSecret, totpStepOf, totpUri } from './totp.ts';

export const recoveryCodeCount = 10;

export type FactorKind = 'totp' | 'passkey' | 'recovery_code';

export interface PasskeySummary {
  credentialId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface FactorSummary {
  totp?: { createdAt: Date };
  passkeys: PasskeySummary[];
  recoveryCodesLeft: number;
  /** An authenticator app or a passkey: recovery codes alone are a way back, not a factor. */
  hasSecondFactor: boolean;
}

export interface TotpEnrolment {
  secret: string;
  secretText: string;
  uri: string;
  qrSvg: string;
}

export interface FactorDependencies {
  db: Db;
  secretBox: SecretBox;
  clock: Clock;
  issuerName: string;
  totp: TotpRepository;
  recoveryCodes: RecoveryCodeRepository;
  passkeys: PasskeyRepository;
  settings: FactorSettingsRepository;
}

/** Authenticator apps and recovery codes: enrolment, checks (each code once), removal. */
export class FactorService {
  readonly #deps: FactorDependencies;

  constructor(deps: FactorDependencies) {
    this.#deps = deps;
  }

  async summary(accountId: string, db: Db = this.#deps.db): Promise<FactorSummary> {
    const { totp, passkeys, recoveryCodes } = this.#deps;
    const [app, keys, recoveryCodesLeft] = await Promise.all([
      totp.find(accountId, db),
      passkeys.listOfAccount(accountId, db),
      recoveryCodes.countUnused(accountId, db),
    ]);
    const confirmedApp = app?.confirmed_at ? { createdAt: app.confirmed_at } : undefined;
    return {
      ...(confirmedApp ? { totp: confirmedApp } : {}),
      passkeys: keys.map((key) => ({ credentialId: key.credential_id, name: key.name, createdAt: key.created_at, lastUsedAt: key.last_used_at })),
      recoveryCodesLeft,
      hasSecondFactor: confirmedApp !== undefined || keys.length > 0,
    };
  }

  /** An admin's reset (a lost phone): every authenticator app, recovery code and passkey goes, and device trust ends. */
  async removeAll(trx: Db, accountId: string): Promise<void> {
    const { clock, totp, recoveryCodes, passkeys, settings } = this.#deps;
    await totp.delete(trx, accountId);
    await recoveryCodes.deleteAll(trx, accountId);
    await passkeys.deleteAllOfAccount(trx, accountId);
    await settings.markFactorsChanged(trx, accountId, clock.now());
  }

  /** Starts (or restarts) enrolling an authenticator app: the secret is stored encrypted, unconfirmed. */
  async beginTotp(accountId: string, label: string): Promise<TotpEnrolment | undefined> {
    const { db, secretBox, totp, issuerName } = this.#deps;
    const secret = newTotpSecret();
    const saved = await totp.savePending(db, accountId, await secretBox.seal(secret));
    if (!saved) return undefined;
    const uri = totpUri(secret, label, issuerName);
    return { secret, secretText: formatTotpSecret(secret), uri, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 1 }) };
  }

  /** The enrolment being set up, to show its QR code again (wrong code typed). */
  async pendingTotp(accountId: string, label: string): Promise<TotpEnrolment | undefined> {
    const { secretBox, totp, issuerName } = this.#deps;
    const row = await totp.find(accountId);
    if (!row || row.confirmed_at) return undefined;
    const secret = await secretBox.open(row.secret_encrypted);
    const uri = totpUri(secret, label, issuerName);
    return { secret, secretText: formatTotpSecret(secret), uri, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 1 }) };
  }

  /**
   * Confirms the enrolment with a first code, whose step is then used up like any other. The first
   * second factor of an account comes with its recovery codes (returned to be shown once).
   */
  async confirmTotp(accountId: string, code: string): Promise<{ confirmed: boolean; recoveryCodes?: string[] }> {
    const { db, secretBox, clock, totp, settings } = this.#deps;
    const row = await totp.find(accountId);
    if (!row || row.confirmed_at) return { confirmed: false };
    const now = clock.now();
    const step = totpStepOf(await secretBox.open(row.secret_encrypted), code, now);
    if (step === undefined) return { confirmed: false };
    return db.transaction().execute(async (trx) => {
      const firstFactor = !(await this.summary(accountId, trx)).hasSecondFactor;
      if (!(await totp.advanceStep(trx, row.id, step, { confirmAt: now }))) return { confirmed: false };
      await settings.markFactorsChanged(trx, accountId, now);
      const recoveryCodes =
        firstFactor && (await this.#deps.recoveryCodes.countUnused(accountId, trx)) === 0 ? await this.#replaceRecoveryCodes(trx, accountId) : undefined;
      return { confirmed: true, ...(recoveryCodes ? { recoveryCodes } : {}) };
    });
  }

  /** A code of the confirmed app, within one step of drift, and later than any code used before. */
  async verifyTotp(accountId: string, code: string): Promise<boolean> {
    const { db, secretBox, clock, totp } = this.#deps;
    const row = await totp.find(accountId);
    if (!row?.confirmed_at) return false;
    const step = totpStepOf(await secretBox.open(row.secret_encrypted), code, clock.now());
    if (step === undefined) return false;
    return totp.advanceStep(db, row.id, step);
  }

  async removeTotp(trx: Db, accountId: string): Promise<boolean> {
    const removed = await this.#deps.totp.delete(trx, accountId);
    if (removed) await this.#afterRemoval(trx, accountId);
    return removed;
  }

  async removePasskey(trx: Db, accountId: string, credentialId: string): Promise<boolean> {
    const removed = await this.#deps.passkeys.delete(trx, accountId, credentialId);
    if (removed) await this.#afterRemoval(trx, accountId);
    return removed;
  }

  /** A new set of recovery codes (the old set stops working), returned once to be shown. */
  async newRecoveryCodes(accountId: string): Promise<string[]> {
    return this.#deps.db.transaction().execute(async (trx) => {
      const codes = await this.#replaceRecoveryCodes(trx, accountId);
      await this.#deps.settings.markFactorsChanged(trx, accountId, this.#deps.clock.now());
      return codes;
    });
  }

  /** Uses one recovery code up (atomically: of parallel tries with one code, one succeeds). */
  async useRecoveryCode(accountId: string, code: string): Promise<boolean> {
    const { db, clock, recoveryCodes } = this.#deps;
    return recoveryCodes.consume(db, accountId, codeDigest(accountId, code), clock.now());
  }

  async #replaceRecoveryCodes(trx: Db, accountId: string): Promise<string[]> {
    const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
    await this.#deps.recoveryCodes.replaceAll(
      trx,
      accountId,
      codes.map((code) => codeDigest(accountId, code)),
    );
    return codes;
  }

  /** The last second factor gone, its recovery codes go too (they would be a factor of their own). */
  async #afterRemoval(trx: Db, accountId: string): Promise<void> {
    await this.#deps.settings.markFactorsChanged(trx, accountId, this.#deps.clock.now());
    if (!(await this.summary(accountId, trx)).hasSecondFactor) await this.#deps.recoveryCodes.deleteAll(trx, accountId);
  }
}
