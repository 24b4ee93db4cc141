import { createHash } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';

interface BoxKey {
  kid: string;
  key: Uint8Array;
}

function deriveKey(secret: string): BoxKey {
  const key = createHash('sha256').update(`signin-service:secret-box:${secret}`).digest();
  // Names the key without revealing it: a hash of the derived key, never of the secret itself.
  const kid = createHash('sha256').update('signin-service:secret-box-kid:').update(key).digest('base64url').slice(0, 16);
  return { kid, key };
}

/** Raised when no configured secret opens a sealed value. */
export class UndecryptableSecretError extends Error {}

/**
 * Encrypts secrets at rest (signing keys, client secrets, connection secrets, queued mail) as
 * compact JWE (dir + A256GCM) under a key derived from the key-encryption secret. Each value names
 * its key in the `kid` header, so that after a rotation the previous secrets still open what they
 * sealed, and `secrets reencrypt` knows what is left to rewrite. Values sealed before key ids
 * existed have no `kid`: every key is tried on them.
 */
export class SecretBox {
  readonly #current: BoxKey;
  readonly #keys: readonly BoxKey[];

  /** `current` seals and opens; each of `previous` only opens. */
  constructor(current: string, previous: readonly string[] = []) {
    this.#current = deriveKey(current);
    this.#keys = [this.#current, ...previous.map(deriveKey)];
  }

  async seal(plaintext: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: this.#current.kid })
      .encrypt(this.#current.key);
  }

  async open(sealed: string): Promise<string> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(sealed).kid;
    } catch (error) {
      throw new UndecryptableSecretError('a stored secret is not a sealed value', { cause: error });
    }
    const candidates = kid === undefined ? this.#keys : this.#keys.filter((key) => key.kid === kid);
    for (const { key } of candidates) {
      try {
        const { plaintext } = await compactDecrypt(sealed, key);
        return new TextDecoder().decode(plaintext);
      } catch {
        // A value without a key id may be under the next key.
      }
    }
    // The usual cause is an operator's: a different secret than the one the data was sealed with.
    throw new UndecryptableSecretError(
      'a stored secret cannot be decrypted (sealed under neither KEY_ENCRYPTION_SECRET nor any of KEY_ENCRYPTION_SECRET_PREVIOUS)',
    );
  }

  /** Whether `sealed` is under the current secret already (older values without a key id are not). */
  isCurrent(sealed: string): boolean {
    try {
      return decodeProtectedHeader(sealed).kid === this.#current.kid;
    } catch {
      return false;
    }
  }

  /** `sealed` again under the current secret; undefined when it is already. */
  async reseal(sealed: string): Promise<string | undefined> {
    return this.isCurrent(sealed) ? undefined : this.seal(await this.open(sealed));
  }
}
