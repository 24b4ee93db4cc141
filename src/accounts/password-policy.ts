import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../http/errors.ts';
import { normalizeEmail } from './email.ts';

export const minimumPasswordLength = 8;

/**
 * Long passphrases are welcome: every character counts (the hasher pre-hashes with HMAC-SHA-256
 * before bcrypt, which alone would read 72 bytes only). The maximum, counted in characters after
 * normalization, only bounds the work a request can ask for; NIST SP 800-63B asks for at least 64.
 */
export const maximumPasswordLength = 256;

/**
 * Passwords seen most often in breaches (zxcvbn-ts's common list, about 50,000 entries, shipped in
 * the package and checked offline). Compared case-insensitively: "Password1" is no better.
 */
const commonPasswords = new Set(dictionary['passwords-common'].map((password) => password.toLowerCase()));

export type PasswordProblem = 'password.too_short' | 'password.too_long' | 'password.common' | 'password.personal';

/** Refused for a reason the form can show next to the password field. */
export class PasswordRejectedError extends AppError {
  constructor(problem: PasswordProblem) {
    super(problem, 400);
  }
}

/** NIST SP 800-63B asks verifiers to normalize Unicode: "é" typed composed or decomposed is the same password. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * The password rules of NIST SP 800-63B: a minimum length, a generous maximum, no common or breached
 * password, nothing taken from the account itself, and no composition rules (no "one digit, one
 * symbol"): length and rarity make a password strong, not character classes.
 */
export function findPasswordProblem(password: string, account: { email: string; name?: string | null }): PasswordProblem | undefined {
  const normalized = normalizePassword(password);
  if ([...normalized].length < minimumPasswordLength) return 'password.too_short';
  if ([...normalized].length > maximumPasswordLength) return 'password.too_long';
  const lowered = normalized.toLowerCase();
  if (commonPasswords.has(lowered) || new Set(lowered).size === 1) return 'password.common';
  const email = normalizeEmail(account.email);
  const personal = [email, email.split('@')[0], account.name?.trim().toLowerCase()].filter((value): value is string => Boolean(value));
  if (personal.includes(lowered)) return 'password.personal';
  return undefined;
}

export function assertPasswordAllowed(password: string, account: { email: string; name?: string | null }): void {
  const problem = findPasswordProblem(password, account);
  if (problem) throw new PasswordRejectedError(problem);
}
