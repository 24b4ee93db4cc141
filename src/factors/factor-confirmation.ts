import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { AttemptLimiter } from '../abuse/attempt-limiter.ts';
import type { Amr } from './assurance.ts';
import type { DeviceCheckService } from './device-check.service.ts';
import type { FactorService } from './factor.service.ts';
import type { PasskeyService } from './passkey.service.ts';

export type FactorProof =
  | { kind: 'totp'; code: string }
  | { kind: 'recovery_code'; code: string }
  | { kind: 'passkey'; challengeId: string; response: AuthenticationResponseJSON }
  | { kind: 'device_code'; code: string; deviceToken: string };

/**
 * Checks a second factor of a known account as one counted attempt: wrong codes add up per account
 * (across every flow: sign-in, step-up, My account) and per IP in PostgreSQL, with a wait and
 * Retry-After (TooManyAttemptsError), never a permanent lockout. Returns the amr the proof adds.
 */
export class FactorConfirmation {
  readonly #factors: FactorService;
  readonly #passkeys: PasskeyService;
  readonly #devices: DeviceCheckService;
  readonly #limiter: AttemptLimiter;

  constructor(deps: { factors: FactorService; passkeys: PasskeyService; devices: DeviceCheckService; limiter: AttemptLimiter }) {
    this.#factors = deps.factors;
    this.#passkeys = deps.passkeys;
    this.#devices = deps.devices;
    this.#limiter = deps.limiter;
  }

  /** The amr values the proof adds, or undefined when it does not confirm. */
  confirm(accountId: string, ip: string, proof: FactorProof): Promise<Amr[] | undefined> {
    return this.#limiter.attempt(accountId, ip, () => this.#check(accountId, proof));
  }

  async #check(accountId: string, proof: FactorProof): Promise<Amr[] | undefined> {
    switch (proof.kind) {
      case 'totp':
        return (await this.#factors.verifyTotp(accountId, proof.code)) ? ['otp'] : undefined;
      case 'recovery_code':
        return (await this.#factors.useRecoveryCode(accountId, proof.code)) ? ['otp'] : undefined;
      case 'device_code':
        // Not a factor of its own: it proves the mailbox for this browser, and adds no amr.
        return (await this.#devices.tryCode(accountId, proof.deviceToken, proof.code)) ? [] : undefined;
      case 'passkey': {
        const assertion = await this.#passkeys.authenticate(proof.challengeId, proof.response);
        return assertion?.accountId === accountId ? assertion.amr : undefined;
      }
    }
  }
}
