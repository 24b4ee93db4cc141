import { createHash, randomBytes } from 'node:crypto';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Db } from '../db/database.ts';
import type { AccountDeviceRow } from '../db/schema.ts';
import type { Clock } from './clock.ts';
import type { DeviceRepository } from './device.repository.ts';
import type { FactorSettingsRepository } from './factor-settings.repository.ts';
import { codeDigest, newDeviceCode } from './one-time-code.ts';

export const deviceCodeTtlMs = 10 * 60 * 1000;
export const deviceTrustMs = 30 * 24 * 60 * 60 * 1000;

/** The random value of a browser's device cookie; only its hash is stored. */
export function newDeviceToken(): string {
  return randomBytes(32).toString('base64url');
}

export function deviceHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Trust (and knowledge of a browser) given before the password changed or trust was revoked no longer counts. */
function trustResetAt(account: { password_changed_at: Date | null } | undefined, settings: { trust_revoked_at: Date | null } | undefined): number {
  return Math.max(account?.password_changed_at?.getTime() ?? 0, settings?.trust_revoked_at?.getTime() ?? 0);
}

function trustHolds(device: AccountDeviceRow, resetAt: number, now: Date): boolean {
  return device.trusted_at !== null && device.trusted_at.getTime() > resetAt && (device.trusted_until?.getTime() ?? 0) > now.getTime();
}

export interface DeviceStanding {
  /** This account signed in from this browser since its password or factors last changed. */
  known: boolean;
  /** "Trust this device" still holds: no factor or code asked. */
  trusted: boolean;
}

export interface DeviceCheckDependencies {
  db: Db;
  clock: Clock;
  accounts: AccountRepository;
  devices: DeviceRepository;
  settings: FactorSettingsRepository;
}

/**
 * New-device check and device trust. A browser is known by a random device cookie bound to a
 * server-side row per account (no fingerprinting). Trust and knowledge end when the password
 * changes, a factor changes or the account signs out everywhere.
 */
export class DeviceCheckService {
  readonly #deps: DeviceCheckDependencies;

  constructor(deps: DeviceCheckDependencies) {
    this.#deps = deps;
  }

  async standing(accountId: string, deviceToken: string | undefined): Promise<DeviceStanding> {
    const { clock, accounts, devices, settings } = this.#deps;
    if (!deviceToken) return { known: false, trusted: false };
    const [device, account, accountSettings] = await Promise.all([
      devices.find(accountId, deviceHash(deviceToken)),
      accounts.findById(accountId),
      settings.find(accountId),
    ]);
    if (!device) return { known: false, trusted: false };
    const resetAt = trustResetAt(account, accountSettings);
    return { known: device.last_seen_at.getTime() > resetAt, trusted: trustHolds(device, resetAt, clock.now()) };
  }

  /** The account's browsers whose "trust this device" still holds (My account), most recently used first. */
  async trustedDevices(accountId: string): Promise<AccountDeviceRow[]> {
    const { clock, accounts, devices, settings } = this.#deps;
    const [rows, account, accountSettings] = await Promise.all([devices.listOfAccount(accountId), accounts.findById(accountId), settings.find(accountId)]);
    const resetAt = trustResetAt(account, accountSettings);
    const now = clock.now();
    return rows.filter((device) => trustHolds(device, resetAt, now));
  }

  /** Mails a new 6-digit code for this browser (10 minutes, 5 tries); the previous code stops working. Returns the code to mail. */
  async issueCode(accountId: string, deviceToken: string): Promise<string> {
    const { db, clock, devices } = this.#deps;
    const code = newDeviceCode();
    const now = clock.now();
    await db
      .transaction()
      .execute((trx) =>
        devices.issueCode(trx, accountId, deviceHash(deviceToken), codeDigest(accountId, code), now, new Date(now.getTime() + deviceCodeTtlMs)),
      );
    return code;
  }

  /** true: the code matched (used up); false: wrong (one try counted); undefined: no live code (expired, used, out of tries). */
  tryCode(accountId: string, deviceToken: string, code: string): Promise<boolean | undefined> {
    const { db, clock, devices } = this.#deps;
    return devices.tryCode(db, accountId, deviceHash(deviceToken), codeDigest(accountId, code), clock.now());
  }

  /**
   * Records a completed sign-in from this browser, trusted for 30 days when asked. Returns whether
   * it is news to the account: a browser it never used, though it used others (an account's first
   * browser, the one it was created or first signed in with, is no news).
   */
  async remember(trx: Db, accountId: string, deviceToken: string, userAgent: string, trust: boolean): Promise<boolean> {
    const { clock, devices } = this.#deps;
    const now = clock.now();
    const inserted = await devices.remember(
      trx,
      accountId,
      deviceHash(deviceToken),
      userAgent.slice(0, 512),
      now,
      trust ? new Date(now.getTime() + deviceTrustMs) : undefined,
    );
    return inserted && (await devices.countOfAccount(accountId, trx)) > 1;
  }

  list(accountId: string): Promise<AccountDeviceRow[]> {
    return this.#deps.devices.listOfAccount(accountId);
  }

  isDevice(row: AccountDeviceRow, deviceToken: string | undefined): boolean {
    return deviceToken !== undefined && row.device_hash === deviceHash(deviceToken);
  }

  forget(trx: Db, accountId: string, deviceId: string): Promise<boolean> {
    return this.#deps.devices.forget(trx, accountId, deviceId);
  }

  /** Ends the trust of every device of the account but this browser's ("sign out other sessions"). */
  endTrustOfOthers(trx: Db, accountId: string, deviceToken: string | undefined): Promise<void> {
    return this.#deps.devices.endTrustExcept(trx, accountId, deviceToken ? deviceHash(deviceToken) : undefined);
  }

  /** Ends the trust of every device of the account (password reset, sign out everywhere, "this wasn't me"). */
  revokeAll(trx: Db, accountId: string): Promise<void> {
    return this.#deps.settings.revokeTrust(trx, accountId, this.#deps.clock.now());
  }
}
