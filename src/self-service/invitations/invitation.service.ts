import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { AccountService } from '../../accounts/account.service.ts';
import type { AccountPasswordService } from '../../accounts/account-password.service.ts';
import type { LinkTokenRepository } from '../../accounts/link-token.repository.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import { ConflictError } from '../../http/errors.ts';
import { type MailOutbox, recipientLocale } from '../../mail/mail-outbox.ts';
import { publicLink } from '../../mail/public-link.ts';
import type { Locale } from '../../ui/i18n.ts';

export interface InvitationDependencies {
  db: Db;
  config: Config;
  accounts: AccountRepository;
  accountService: AccountService;
  tokens: LinkTokenRepository;
  passwords: AccountPasswordService;
  outbox: MailOutbox;
}

export interface Invitation {
  accountId: string;
  email: string;
  expiresAt: Date;
}

/**
 * An administrator invites someone: an account without a password, and a mail with a link to
 * choose one. Inviting again sends a new link (the older one stops working). The address is
 * verified once the password is set through the link.
 */
export class InvitationService {
  readonly #deps: InvitationDependencies;

  constructor(deps: InvitationDependencies) {
    this.#deps = deps;
  }

  async invite(invitee: { email: string; name?: string | undefined; locale: Locale }): Promise<Invitation> {
    const { db, accounts, accountService, tokens, outbox, config } = this.#deps;
    const existing = await accounts.findByEmail(invitee.email);
    if (existing?.password_hash) throw new ConflictError('account.email_taken');
    const account =
      existing ?? (await accountService.createAccount({ email: invitee.email, locale: invitee.locale, ...(invitee.name ? { name: invitee.name } : {}) }));
    const token = await tokens.issue(db, account.id, 'invitation', config.links.invitationSeconds);
    await outbox.enqueue({
      to: account.email,
      template: 'invitation',
      locale: recipientLocale(account, invitee.locale),
      data: { name: account.name ?? '', link: publicLink(config.issuer, '/invitation', { token }), days: Math.round(config.links.invitationSeconds / 86400) },
    });
    return { accountId: account.id, email: account.email, expiresAt: new Date(Date.now() + config.links.invitationSeconds * 1000) };
  }

  async checkLink(token: string): Promise<{ email: string }> {
    const account = await this.#deps.passwords.accountForLink(token, 'invitation');
    return { email: account.email };
  }

  async accept(token: string, password: string): Promise<void> {
    await this.#deps.passwords.setPasswordWithLink(token, 'invitation', password);
  }
}
