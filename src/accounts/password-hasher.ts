import { createHash, createHmac } from 'node:crypto';
import bcrypt from 'bcrypt';
import pLimit, { type LimitFunction } from 'p-limit';
import { normalizePassword } from './password-policy.ts';

export interface PasswordCheck {
  valid: boolean;
  /** The stored hash is of an older scheme, an older pepper or a lower cost than configured: rehash now that the password is known. */
  needsRehash: boolean;
}

/**
 * The stored scheme: `$hmac-sha256-bcrypt$k=<pepper id>$<bcrypt hash>`, bcrypt over the base64 of
 * HMAC-SHA-256(pepper, password), as Dropbox and passlib's bcrypt_sha256 do. bcrypt reads 72 bytes
 * at most and stops at a NUL byte; the 44 base64 characters of the HMAC carry every character of
 * the password and never a NUL. The pepper (PASSWORD_PEPPERS) lives outside the database, so a
 * stolen table alone cannot be attacked offline. A bare `$2b$...` hash is the former scheme
 * (bcrypt of the password itself): still verified, and upgraded at the next sign-in.
 */
const schemePrefix = '$hmac-sha256-bcrypt$';
const peppered = /^\$hmac-sha256-bcrypt\$k=([\w-]+)\$(\$2[aby]\$.+)$/;
/** What the former scheme could compare at all: bcrypt ignores what follows. */
const legacyMaximumBytes = 72;

/** Names a pepper in stored hashes without revealing it: a truncated SHA-256 of it. */
function pepperId(pepper: string): string {
  return createHash('sha256').update(`password pepper:${pepper}`).digest('base64url').slice(0, 12);
}

/**
 * bcrypt runs on libuv's thread pool, which token signing (WebCrypto) shares. Capping concurrent
 * hashes below the pool size keeps a burst of logins from starving the token endpoint.
 */
export class PasswordHasher {
  readonly #cost: number;
  readonly #limit: LimitFunction;
  /** Pepper id -> pepper; the first of the list peppers new hashes. */
  readonly #peppers: Map<string, string>;
  readonly #currentPepperId: string;
  #decoyHash: Promise<string> | undefined;

  constructor(cost: number, peppers: readonly string[], maxConcurrentHashes = defaultHashConcurrency()) {
    if (!peppers[0]) throw new Error('PasswordHasher needs at least one pepper');
    this.#cost = cost;
    this.#limit = pLimit(maxConcurrentHashes);
    this.#peppers = new Map(peppers.map((pepper) => [pepperId(pepper), pepper]));
    this.#currentPepperId = pepperId(peppers[0]);
  }

  async hash(password: string): Promise<string> {
    const preHashed = this.#preHash(password, this.#peppers.get(this.#currentPepperId)!);
    return `${schemePrefix}k=${this.#currentPepperId}$${await this.#limit(() => bcrypt.hash(preHashed, this.#cost))}`;
  }

  async verify(password: string, stored: string): Promise<PasswordCheck> {
    const match = peppered.exec(stored);
    if (match) {
      const [, id, bcryptHash] = match as unknown as [string, string, string];
      const pepper = this.#peppers.get(id);
      // A pepper dropped from PASSWORD_PEPPERS: the hash can no longer be checked (a reset sets a new one).
      if (!pepper) return this.#refused(password);
      const valid = await this.#limit(() => bcrypt.compare(this.#preHash(password, pepper), bcryptHash));
      return { valid, needsRehash: valid && (id !== this.#currentPepperId || bcrypt.getRounds(bcryptHash) < this.#cost) };
    }
    const normalized = normalizePassword(password);
    // bcrypt would compare the first 72 bytes only: a longer input never matches a former-scheme hash (none was set over 72 bytes).
    if (Buffer.byteLength(normalized, 'utf8') > legacyMaximumBytes) return this.#refused(password);
    const valid = await this.#limit(() => bcrypt.compare(normalized, stored));
    return { valid, needsRehash: valid };
  }

  /** Spends the same time as a real check, so unknown emails cannot be told apart by timing. */
  async decoyVerify(password: string): Promise<void> {
    this.#decoyHash ??= bcrypt.hash('decoy password that matches nothing', this.#cost);
    await this.#limit(async () => bcrypt.compare(password, await this.#decoyHash!));
  }

  async #refused(password: string): Promise<PasswordCheck> {
    await this.decoyVerify(password);
    return { valid: false, needsRehash: false };
  }

  #preHash(password: string, pepper: string): string {
    return createHmac('sha256', pepper).update(normalizePassword(password), 'utf8').digest('base64');
  }
}

function defaultHashConcurrency(): number {
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, poolSize - 2);
}
