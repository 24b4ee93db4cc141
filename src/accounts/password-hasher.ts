import bcrypt from 'bcrypt';
import pLimit, { type LimitFunction } from 'p-limit';
import { maximumPasswordBytes, normalizePassword } from './password-policy.ts';

export interface PasswordCheck {
  valid: boolean;
  /** The stored hash uses a lower cost than configured: rehash now that the password is known. */
  needsRehash: boolean;
}

/**
 * bcrypt runs on libuv's thread pool, which token signing (WebCrypto) shares. Capping concurrent
 * hashes below the pool size keeps a burst of logins from starving the token endpoint.
 */
export class PasswordHasher {
  readonly #cost: number;
  readonly #limit: LimitFunction;
  #decoyHash: Promise<string> | undefined;

  constructor(cost: number, maxConcurrentHashes = defaultHashConcurrency()) {
    this.#cost = cost;
    this.#limit = pLimit(maxConcurrentHashes);
  }

  hash(password: string): Promise<string> {
    return this.#limit(() => bcrypt.hash(normalizePassword(password), this.#cost));
  }

  async verify(password: string, hash: string): Promise<PasswordCheck> {
    const normalized = normalizePassword(password);
    // bcrypt would compare the first 72 bytes only: a longer input never matches (no password over 72 bytes is ever set).
    if (Buffer.byteLength(normalized, 'utf8') > maximumPasswordBytes) {
      await this.decoyVerify(password);
      return { valid: false, needsRehash: false };
    }
    const valid = await this.#limit(() => bcrypt.compare(normalized, hash));
    return { valid, needsRehash: valid && bcrypt.getRounds(hash) < this.#cost };
  }

  /** Spends the same time as a real check, so unknown emails cannot be told apart by timing. */
  async decoyVerify(password: string): Promise<void> {
    this.#decoyHash ??= bcrypt.hash('decoy password that matches nothing', this.#cost);
    await this.#limit(async () => bcrypt.compare(password, await this.#decoyHash!));
  }
}

function defaultHashConcurrency(): number {
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, poolSize - 2);
}
