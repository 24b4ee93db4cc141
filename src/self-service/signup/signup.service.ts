import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { AccountService } from '../../accounts/account.service.ts';
import type { LinkTokenRepository } from '../../accounts/link-token.repository.ts';
import { LinkInvalidError } from '../../accounts/link-token.repository.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';
import { assertPasswordAllowed } from '../../accounts/password-policy.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import type { AccountRow } from '../../db/schema.ts';
import { type MailOutbox, recipientLocale } from '../../mail/mail-outbox.ts';
import { publicLink } from '../../mail/public-link.ts';
import type { Locale } from '../../ui/i18n.ts';
import type { SignInReturn } from '../sign-in-return.ts';

export interface SignUpRequest {
  name: string;
  email: string;
  password: string;
  locale: Locale;
  /** The sign-in the person came from: the mailed links lead back into it. */
  signIn?: Pick<SignInReturn, 'uid' | 'url'> | undefined;
}

export interface SignUpDependencies {
  db: Db;
  config: Config;
  accounts: AccountRepository;
  accountService: AccountService;
  tokens: LinkTokenRepository;
  hasher: PasswordHasher;
  outbox: MailOutbox;
}

/**
 * Self-service sign-up. The answer never says whether the address already has an account: the
 * address gets a mail either way (a confirmation link, or "you already have an account"), and the
 * page only says "check your email".
 */
export class SignUpService {
  readonly #deps: SignUpDependencies;

  constructor(deps: SignUpDependencies) {
    this.#deps = deps;
  }

  async signUp(request: SignUpRequest): Promise<void> {
    const { db, accounts, accountService, tokens, hasher, outbox, config } = this.#deps;
    assertPasswordAllowed(request.password, request);
    const existing = await accounts.findByEmail(request.email);
    if (existing) {
      // The hash a new account would cost, so that both answers take as long.
      await hasher.hash(request.password);
      await this.#mailExistingAccount(existing, request);
      return;
    }
    const account = await accountService.createAccount({ email: request.email, name: request.name, password: request.password, locale: request.locale });
    const token = await tokens.issue(db, account.id, 'email_verification', config.links.emailVerificationSeconds);
    await outbox.enqueue({
      to: account.email,
      template: 'verify-email',
      locale: request.locale,
      data: {
        name: account.name ?? '',
        link: publicLink(config.issuer, '/signup/verify', { token, interaction: request.signIn?.uid }),
        hours: Math.round(config.links.emailVerificationSeconds / 3600),
      },
    });
  }

  /**
   * A verified account is told to sign in (or reset its password). An unverified one may have been
   * created by someone else with this address (account pre-hijacking): its owner gets a link that
   * sets a new password, which proves the mailbox and replaces whatever password was chosen.
   */
  async #mailExistingAccount(account: AccountRow, request: SignUpRequest): Promise<void> {
    const { db, tokens, outbox, config } = this.#deps;
    const locale = recipientLocale(account, request.locale);
    const interaction = request.signIn?.uid;
    const continueUrl = request.signIn ? publicLink(config.issuer, request.signIn.url) : '';
    if (account.email_verified) {
      const forgotUrl = publicLink(config.issuer, '/forgot-password', { email: account.email, interaction });
      await outbox.enqueue({ to: account.email, template: 'account-exists', locale, data: { name: account.name ?? '', forgotUrl, continueUrl } });
      return;
    }
    const token = await tokens.issue(db, account.id, 'password_reset', config.links.passwordResetSeconds);
    await outbox.enqueue({
      to: account.email,
      template: 'finish-signup',
      locale,
      data: {
        name: account.name ?? '',
        link: publicLink(config.issuer, '/reset-password', { token, interaction }),
        minutes: Math.round(config.links.passwordResetSeconds / 60),
      },
    });
  }

  async checkVerificationLink(token: string): Promise<void> {
    if (!(await this.#deps.tokens.findValid(token, 'email_verification'))) throw new LinkInvalidError();
  }

  /** Uses the link up and marks the address verified; returns the account's id. */
  async verifyEmail(token: string): Promise<string> {
    const { db, tokens, accounts } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const row = await tokens.consume(trx, token, 'email_verification');
      if (!row) throw new LinkInvalidError();
      await accounts.update(trx, row.account_id, { email_verified: true });
      return row.account_id;
    });
  }
}
