import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { SignOutEverywhere } from '../../accounts/account-password.service.ts';
import { LinkInvalidError, type LinkTokenRepository } from '../../accounts/link-token.repository.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';

export interface NotMeDependencies {
  db: Db;
  config: Pick<Config, 'links'>;
  accounts: Pick<AccountRepository, 'findById'>;
  tokens: LinkTokenRepository;
  signOut: SignOutEverywhere;
}

export interface SecuredAccount {
  email: string;
  /** A password reset link's token, to choose a new password at once; none for an account that signs in without a password. */
  resetToken: string | undefined;
}

/**
 * "This wasn't me", from a new-sign-in or factor-change notice: the account is taken back from
 * whoever signed in or changed it.
 */
export class NotMeService {
  readonly #deps: NotMeDependencies;

  constructor(deps: NotMeDependencies) {
    this.#deps = deps;
  }

  /** The address a still-valid link is for (shown on the confirmation page); the link is not used up. */
  async check(token: string): Promise<{ email: string }> {
    const { tokens, accounts } = this.#deps;
    const row = await tokens.findValid(token, 'not_me');
    const account = row && (await accounts.findById(row.account_id));
    if (!account) throw new LinkInvalidError();
    return { email: account.email };
  }

  /**
   * In one transaction: uses the link up (and the account's other "This wasn't me" links, now
   * moot), ends every session, grant, refresh token and device trust of the account and tells its
   * apps (sign out everywhere), and issues a password reset link for a new password: whoever knew
   * the password must not keep it.
   */
  async secure(token: string): Promise<SecuredAccount> {
    const { db, config, accounts, tokens, signOut } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const used = await tokens.consume(trx, token, 'not_me');
      const account = used && (await accounts.findById(used.account_id, trx));
      if (!account) throw new LinkInvalidError();
      await tokens.voidAll(trx, account.id, ['not_me']);
      await signOut.signOutEverywhere(trx, account.id, 'not_me');
      const resetToken = account.password_hash ? await tokens.issue(trx, account.id, 'password_reset', config.links.passwordResetSeconds) : undefined;
      return { email: account.email, resetToken };
    });
  }
}
