import type { AccountRepository } from '../accounts/account.repository.ts';
import type { LinkTokenRepository } from '../accounts/link-token.repository.ts';
import type { Db } from '../db/database.ts';
import type { MailOutbox } from '../mail/mail-outbox.ts';
import { recipientLocale } from '../mail/mail-outbox.ts';
import { publicLink } from '../mail/public-link.ts';
import type { Locale } from '../ui/i18n.ts';
import { deviceCodeTtlMs } from './device-check.service.ts';
import type { FactorKind } from './factor.service.ts';

/** A "This wasn't me" link works for a week: long enough for a notice read late. */
const notMeLinkSeconds = 7 * 24 * 60 * 60;

export interface FactorNoticeDependencies {
  db: Db;
  issuer: string;
  accounts: AccountRepository;
  tokens: LinkTokenRepository;
  outbox: MailOutbox;
}

/** Mail about factors and devices, in the account's language, through the outbox. */
export class FactorNotices {
  readonly #deps: FactorNoticeDependencies;

  constructor(deps: FactorNoticeDependencies) {
    this.#deps = deps;
  }

  async factorChanged(accountId: string, change: 'added' | 'removed', factor: FactorKind, pageLocale: Locale): Promise<void> {
    await this.#withNotMeLink(accountId, change === 'added' ? 'factor-added' : 'factor-removed', pageLocale, { factorKey: `factors.name.${factor}` });
  }

  async newDeviceSignIn(accountId: string, device: string, pageLocale: Locale): Promise<void> {
    await this.#withNotMeLink(accountId, 'new-device-sign-in', pageLocale, { device });
  }

  async deviceCode(accountId: string, code: string, pageLocale: Locale): Promise<void> {
    const account = await this.#deps.accounts.findById(accountId);
    if (!account) return;
    await this.#deps.outbox.enqueue({
      to: account.email,
      template: 'new-device-code',
      locale: recipientLocale(account, pageLocale),
      data: { name: account.name ?? '', code, minutes: deviceCodeTtlMs / 60_000 },
    });
  }

  async #withNotMeLink(
    accountId: string,
    template: 'factor-added' | 'factor-removed' | 'new-device-sign-in',
    pageLocale: Locale,
    data: Record<string, string>,
  ) {
    const { db, accounts, tokens, outbox, issuer } = this.#deps;
    const account = await accounts.findById(accountId);
    if (!account) return;
    const token = await tokens.issue(db, account.id, 'not_me', notMeLinkSeconds, { keepEarlier: true });
    await outbox.enqueue({
      to: account.email,
      template,
      locale: recipientLocale(account, pageLocale),
      data: { name: account.name ?? '', notMeUrl: publicLink(issuer, '/not-me', { token }), ...data },
    });
  }
}
