import bcrypt from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../src/accounts/password-hasher.ts';
import { findPasswordProblem } from '../src/accounts/password-policy.ts';

const account = { email: 'Ada.Lovelace@example.com', name: 'Ada Lovelace' };
const pepper = 'password-policy-test-pepper-0123456789abcdef';

describe('password policy (NIST SP 800-63B)', () => {
  it('needs 8 characters, counted as characters rather than bytes or UTF-16 units', () => {
    expect(findPasswordProblem('seven c', account)).toBe('password.too_short');
    expect(findPasswordProblem('eight ch', account)).toBeUndefined();
    expect(findPasswordProblem('🐱🐶🐭🐹🐰🦊🐻🐼', account)).toBeUndefined();
  });

  it('accepts up to 256 characters, counted as characters whatever their UTF-8 bytes', () => {
    expect(findPasswordProblem(`${'àéîõü'.repeat(51)}x`, account)).toBeUndefined();
    expect(findPasswordProblem(`${'àéîõü'.repeat(51)}xy`, account)).toBe('password.too_long');
    expect(findPasswordProblem('🐱🐶'.repeat(128), account)).toBeUndefined();
  });

  it('refuses common and breached passwords whatever their case, and one repeated character', () => {
    for (const password of ['password', 'PASSWORD1', 'qwertyuiop', 'iloveyou', '12345678', 'zzzzzzzzzz']) {
      expect(findPasswordProblem(password, account), password).toBe('password.common');
    }
  });

  it('refuses the account own email, its local part or name', () => {
    expect(findPasswordProblem('ada.lovelace@example.com', account)).toBe('password.personal');
    expect(findPasswordProblem('ADA.LOVELACE', account)).toBe('password.personal');
    expect(findPasswordProblem('ada lovelace', account)).toBe('password.personal');
  });

  it('has no composition rules', () => {
    expect(findPasswordProblem('correct horse battery staple', account)).toBeUndefined();
    expect(findPasswordProblem('onlylowercaseletters', account)).toBeUndefined();
  });

  it('treats composed and decomposed accents as the same password (Unicode normalization)', async () => {
    const hasher = new PasswordHasher(4, [pepper]);
    const composed = 'crème brûlée';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const hash = await hasher.hash(composed);
    expect((await hasher.verify(decomposed, hash)).valid).toBe(true);
    expect((await hasher.verify('creme brulee', hash)).valid).toBe(false);
  });

  it('never matches an input over 72 bytes against a former-scheme hash, although bcrypt would compare only its start', async () => {
    const hasher = new PasswordHasher(4, [pepper]);
    const seventyTwo = `${'p'.repeat(70)}ok`;
    const formerHash = await bcrypt.hash(seventyTwo, 4);
    expect((await hasher.verify(seventyTwo, formerHash)).valid).toBe(true);
    expect((await hasher.verify(`${seventyTwo} and more`, formerHash)).valid).toBe(false);
  });
});
