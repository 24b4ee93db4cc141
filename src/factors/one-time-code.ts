import { createHmac, randomInt } from 'node:crypto';

/**
 * Short codes (recovery codes, mailed device codes) are stored as an HMAC keyed per account: the
 * table alone gives nothing to look up, and the same code on two accounts hashes differently.
 */
export function codeDigest(accountId: string, code: string): string {
  return createHmac('sha256', `signin-service:one-time-code:${accountId}`).update(normalizeCode(code)).digest('base64url');
}

/** People type codes with spaces or dashes, in any case. */
export function normalizeCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

/** Recovery codes: no 0/o or 1/l to misread, 10 characters (about 50 bits). */
const recoveryAlphabet = 'abcdefghijkmnpqrstuvwxyz23456789';

export function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => recoveryAlphabet[randomInt(recoveryAlphabet.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

export function newDeviceCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}
