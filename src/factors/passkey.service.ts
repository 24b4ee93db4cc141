import { randomBytes } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Db } from '../db/database.ts';
import type { Amr } from './assurance.ts';
import type { Clock } from './clock.ts';
import type { FactorSettingsRepository } from './factor-settings.repository.ts';
import type { PasskeyRepository } from './passkey.repository.ts';

const challengeTtlMs = 5 * 60 * 1000;

export interface PasskeyDependencies {
  db: Db;
  clock: Clock;
  /** ISSUER: the RP ID is its host name, and only its exact origin is accepted. */
  issuer: string;
  rpName: string;
  passkeys: PasskeyRepository;
  settings: FactorSettingsRepository;
}

/** What a verified passkey assertion proved. */
export interface PasskeyAssertion {
  accountId: string;
  credentialId: string;
  /** hwk for a device-bound key, swk for a synced one; user when the authenticator verified the person. */
  amr: Amr[];
  userVerified: boolean;
}

/** hwk for a device-bound key, swk for a synced one; user when the authenticator verified the person. */
function passkeyAmr(deviceType: string, userVerified: boolean): Amr[] {
  return [deviceType === 'singleDevice' ? 'hwk' : 'swk', ...(userVerified ? (['user'] as const) : [])];
}

export interface Ceremony<T> {
  challengeId: string;
  options: T;
}

/** Passkeys (WebAuthn through @simplewebauthn/server): registration on My account, sign-in and confirmation. */
export class PasskeyService {
  readonly #deps: PasskeyDependencies;
  readonly #rpId: string;
  readonly #origin: string;

  constructor(deps: PasskeyDependencies) {
    this.#deps = deps;
    const url = new URL(deps.issuer);
    this.#rpId = url.hostname;
    this.#origin = url.origin;
  }

  async registrationOptions(accountId: string, userName: string): Promise<Ceremony<PublicKeyCredentialCreationOptionsJSON>> {
    const { db, passkeys, settings, rpName } = this.#deps;
    const userHandle = await settings.userHandle(db, accountId);
    const existing = await passkeys.listOfAccount(accountId);
    const options = await generateRegistrationOptions({
      rpName,
      rpID: this.#rpId,
      userName,
      userID: Buffer.from(userHandle, 'base64url'),
      attestationType: 'none',
      excludeCredentials: existing.map((key) => ({ id: key.credential_id, transports: key.transports as never })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    return { challengeId: await this.#saveChallenge(options.challenge, accountId), options };
  }

  /**
   * Verifies and stores a new passkey of the account that asked for the options; undefined when it
   * does not verify. Its amr say what the ceremony proved (a sign-in that enrols it counts them).
   */
  async register(accountId: string, challengeId: string, response: RegistrationResponseJSON, name: string): Promise<Amr[] | undefined> {
    const { db, clock, passkeys, settings } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const challenge = await passkeys.takeChallenge(trx, challengeId, clock.now());
      if (!challenge || challenge.account_id !== accountId) return undefined;
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpId,
        requireUserVerification: false,
      }).catch(() => undefined);
      if (!verification?.verified) return undefined;
      const { credential, credentialDeviceType, credentialBackedUp, userVerified } = verification.registrationInfo;
      if (await passkeys.find(credential.id, trx)) return undefined;
      await passkeys.insert(trx, {
        credentialId: credential.id,
        accountId,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: credential.transports ?? [],
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        name,
      });
      await settings.markFactorsChanged(trx, accountId, clock.now());
      return passkeyAmr(credentialDeviceType, userVerified);
    });
  }

  /**
   * Options for an assertion. Without an account (the sign-in's first page, autofill) there is no
   * allowCredentials list: which passkeys an email has is never revealed.
   */
  async authenticationOptions(accountId?: string): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    const keys = accountId ? await this.#deps.passkeys.listOfAccount(accountId) : [];
    const options = await generateAuthenticationOptions({
      rpID: this.#rpId,
      userVerification: 'preferred',
      ...(accountId ? { allowCredentials: keys.map((key) => ({ id: key.credential_id, transports: key.transports as never })) } : {}),
    });
    return { challengeId: await this.#saveChallenge(options.challenge, accountId ?? null), options };
  }

  /**
   * Verifies an assertion against the challenge it was made for. A challenge issued for one
   * account accepts only that account's passkeys (step-up, confirmation); the user handle must be
   * the credential's account's.
   */
  async authenticate(challengeId: string, response: AuthenticationResponseJSON): Promise<PasskeyAssertion | undefined> {
    const { db, clock, passkeys, settings } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const challenge = await passkeys.takeChallenge(trx, challengeId, clock.now());
      if (!challenge || typeof response?.id !== 'string') return undefined;
      const key = await passkeys.find(response.id, trx);
      if (!key || (challenge.account_id !== null && key.account_id !== challenge.account_id)) return undefined;
      const userHandle = response.response?.userHandle;
      if (userHandle && (await settings.accountOfUserHandle(userHandle, trx)) !== key.account_id) return undefined;
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpId,
        credential: { id: key.credential_id, publicKey: new Uint8Array(key.public_key), counter: Number(key.counter), transports: key.transports as never },
        requireUserVerification: false,
      }).catch(() => undefined);
      if (!verification?.verified) return undefined;
      const { newCounter, userVerified } = verification.authenticationInfo;
      await passkeys.recordUse(trx, key.credential_id, newCounter, clock.now());
      return { accountId: key.account_id, credentialId: key.credential_id, amr: passkeyAmr(key.device_type, userVerified), userVerified };
    });
  }

  async #saveChallenge(challenge: string, accountId: string | null): Promise<string> {
    const id = randomBytes(24).toString('base64url');
    const { db, clock, passkeys } = this.#deps;
    await passkeys.saveChallenge(db, id, challenge, accountId, new Date(clock.now().getTime() + challengeTtlMs));
    return id;
  }
}
