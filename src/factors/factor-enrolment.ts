import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Locale } from '../ui/i18n.ts';
import type { Amr } from './assurance.ts';
import type { FactorService, TotpEnrolment } from './factor.service.ts';
import type { FactorNotices } from './factor-notices.ts';
import type { PasskeyService } from './passkey.service.ts';

export interface FactorEnrolmentDependencies {
  factors: Pick<FactorService, 'beginTotp' | 'pendingTotp' | 'confirmTotp'>;
  passkeys: Pick<PasskeyService, 'registrationOptions' | 'register'>;
  notices: Pick<FactorNotices, 'factorChanged'>;
}

/**
 * Setting up a factor, wherever it happens (My account, or the sign-in of a member whose
 * organization requires one): each factor added mails its notice.
 */
export class FactorEnrolment {
  readonly #deps: FactorEnrolmentDependencies;

  constructor(deps: FactorEnrolmentDependencies) {
    this.#deps = deps;
  }

  beginTotp(accountId: string, label: string): Promise<TotpEnrolment | undefined> {
    return this.#deps.factors.beginTotp(accountId, label);
  }

  pendingTotp(accountId: string, label: string): Promise<TotpEnrolment | undefined> {
    return this.#deps.factors.pendingTotp(accountId, label);
  }

  async confirmTotp(accountId: string, code: string, locale: Locale): Promise<{ confirmed: boolean; recoveryCodes?: string[] }> {
    const result = await this.#deps.factors.confirmTotp(accountId, code);
    if (result.confirmed) await this.#deps.notices.factorChanged(accountId, 'added', 'totp', locale);
    return result;
  }

  passkeyOptions(accountId: string, label: string) {
    return this.#deps.passkeys.registrationOptions(accountId, label);
  }

  /** The new passkey's amr, or undefined when the ceremony did not verify. */
  async addPasskey(accountId: string, challengeId: string, response: RegistrationResponseJSON, name: string, locale: Locale): Promise<Amr[] | undefined> {
    const amr = await this.#deps.passkeys.register(accountId, challengeId, response, name);
    if (amr) await this.#deps.notices.factorChanged(accountId, 'added', 'passkey', locale);
    return amr;
  }
}
