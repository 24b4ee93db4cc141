import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { AccountPasswordService } from '../../accounts/account-password.service.ts';
import { normalizeEmail } from '../../accounts/email.ts';
import type { LinkTokenRepository } from '../../accounts/link-token.repository.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import { type MailOutbox, recipientLocale } from '../../mail/mail-outbox.ts';
import { publicLink } from '../../mail/public-link.ts';
import type { Locale } from '../../ui/i18n.ts';

export interface RecoveryDependencies {
  db: Db;
  config: Config;
  accounts: AccountRepository;
  tokens: LinkTokenRepository;
  passwords: AccountPasswordService;
  outbox: MailOutbox;
}

/** Forgot password → emailed single-use link → new password → "your password was changed" mail. */
export class RecoveryService {
  readonly #deps: RecoveryDependencies;

  constructor(deps: RecoveryDependencies) {
    this.#deps = deps;
  }

  /**
   * The same work and the same answer whether or not the address has an account: one lookup, one
   * queued mail (a reset link, or "no account uses this address"), never waiting for SMTP.
   */
  async requestReset(email: string, locale: Locale, interaction?: string): Promise<void> {
    const { db, accounts, tokens, outbox, config } = this.#deps;
    const account = await accounts.findByEmail(email);
    if (!account) {
      const signUpUrl = publicLink(config.issuer, '/signup', { interaction });
      await outbox.enqueue({ to: normalizeEmail(email), template: 'password-reset-unknown', locale, data: { email: normalizeEmail(email), signUpUrl } });
      return;
    }
    const token = await tokens.issue(db, account.id, 'password_reset', config.links.passwordResetSeconds);
    await outbox.enqueue({
      to: account.email,
      template: 'password-reset',
      locale: recipientLocale(account, locale),
      data: {
        name: account.name ?? '',
        link: publicLink(config.issuer, '/reset-password', { token, interaction }),
        minutes: Math.round(config.links.passwordResetSeconds / 60),
      },
    });
  }

  /** The address a still-valid reset link is for (shown on the page); the link is not used up. */
  async checkResetLink(token: string): Promise<{ email: string }> {
    const account = await this.#deps.passwords.accountForLink(token, 'password_reset');
    return { email: account.email };
  }

  async resetPassword(token: string, password: string, locale: Locale, interaction?: string): Promise<void> {
    const { passwords, outbox, config } = this.#deps;
    const account = await passwords.setPasswordWithLink(token, 'password_reset', password);
    await outbox.enqueue({
      to: account.email,
      template: 'password-changed',
      locale: recipientLocale(account, locale),
      data: { name: account.name ?? '', forgotUrl: publicLink(config.issuer, '/forgot-password', { email: account.email, interaction }) },
    });
  }
}
