import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../src/accounts/password-hasher.ts';
import { findPasswordProblem } from '../src/accounts/password-policy.ts';

const account = { email: 'Ada.Lovelace@example.com', name: 'Ada Lovelace' };

describe('password policy (NIST SP 800-63B)', () => {
  it('needs 8 characters, counted as characters rather than bytes or UTF-16 units', () => {
    expect(findPasswordProblem('seven c', account)).toBe('password.too_short');
    expect(findPasswordProblem('eight ch', account)).toBeUndefined();
    expect(findPasswordProblem('🐱🐶🐭🐹🐰🦊🐻🐼', account)).toBeUndefined();
  });

  it('refuses more than 72 UTF-8 bytes, the part bcrypt reads', () => {
    expect(findPasswordProblem('x'.repeat(36) + 'y'.repeat(36), account)).toBeUndefined();
    expect(findPasswordProblem('x'.repeat(36) + 'y'.repeat(37), account)).toBe('password.too_long');
    expect(findPasswordProblem('àéîõü'.repeat(8), account)).toBe('password.too_long');
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
    const hasher = new PasswordHasher(4);
    const composed = 'crème brûlée';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const hash = await hasher.hash(composed);
    expect((await hasher.verify(decomposed, hash)).valid).toBe(true);
    expect((await hasher.verify('creme brulee', hash)).valid).toBe(false);
  });

  it('never matches an input over 72 bytes, although bcrypt would compare only its start', async () => {
    const hasher = new PasswordHasher(4);
    const seventyTwo = `${'p'.repeat(70)}ok`;
    const hash = await hasher.hash(seventyTwo);
    expect((await hasher.verify(seventyTwo, hash)).valid).toBe(true);
    expect((await hasher.verify(`${seventyTwo} and more`, hash)).valid).toBe(false);
  });
});
