import * as OTPAuth from 'otpauth';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
const period = 30;
const digits = 6;
/** One step either way: a phone clock a little off, or a code typed as it changed. */
const driftSteps = 1;

function totpOf(secretBase32: string, label = '', issuer = ''): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer, label, algorithm: 'SHA1', digits, period, secret: OTPAuth.Secret.fromBase32(secretBase32) });
}

/** 160 random bits (RFC 4226's recommended length), as base32 for the person to type. */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

/** The otpauth:// URI the QR code carries. */
export function totpUri(secretBase32: string, label: string, issuer: string): string {
  return totpOf(secretBase32, label, issuer).toString();
}

/** Groups of four, as apps show them and people type them. */
export function formatTotpSecret(secretBase32: string): string {
  return secretBase32.replace(/(.{4})/g, '$1 ').trim();
}

/**
 * The time step a code belongs to (within the allowed drift), or undefined when it matches none.
 * The caller stores the step so that each code (and any earlier one) works once.
 */
export function totpStepOf(secretBase32: string, code: string, now: Date): number | undefined {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const totp = totpOf(secretBase32);
  const delta = totp.validate({ token, timestamp: now.getTime(), window: driftSteps });
  return delta === null ? undefined : totp.counter({ timestamp: now.getTime() }) + delta;
}

/** For tests and the enrolment page's own check: the code of a given moment. */
export function totpCodeAt(secretBase32: string, at: Date): string {
  return totpOf(secretBase32).generate({ timestamp: at.getTime() });
}
