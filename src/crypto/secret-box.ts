import { createHash } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';

/**
 * Encrypts secrets at rest (signing keys, client secrets) as compact JWE (dir + A256GCM) under a key
 * derived from the configured key-encryption secret.
 */
export class SecretBox {
  readonly #key: Uint8Array;

  constructor(secret: string) {
    this.#key = createHash('sha256').update(`signin-service:secret-box:${secret}`).digest();
  }

  async seal(plaintext: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(this.#key);
  }

  async open(sealed: string): Promise<string> {
    try {
      const { plaintext } = await compactDecrypt(sealed, this.#key);
      return new TextDecoder().decode(plaintext);
    } catch (error) {
      // The usual cause is an operator's: a different secret than the one the data was sealed with.
      throw new Error('a stored secret cannot be decrypted (was KEY_ENCRYPTION_SECRET changed?)', { cause: error });
    }
  }
}
