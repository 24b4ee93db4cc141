import type { Db } from '../db/database.ts';
import type { AccountRow, AccountTokenPurpose } from '../db/schema.ts';
import type { AccountRepository } from './account.repository.ts';
import { LinkInvalidError, type LinkTokenRepository } from './link-token.repository.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { assertPasswordAllowed } from './password-policy.ts';

/** Ends every session, grant and token of an account and tells its apps (oidc/logout/sign-out.service.ts). */
export interface SignOutEverywhere {
  signOutEverywhere(trx: Db, accountId: string, reason: string): Promise<void>;
}

export interface AccountPasswordDependencies {
  db: Db;
  accounts: AccountRepository;
  tokens: LinkTokenRepository;
  signOut: SignOutEverywhere;
  hasher: PasswordHasher;
}

/** Setting a password through an emailed link (password reset, invitation). */
export class AccountPasswordService {
  readonly #deps: AccountPasswordDependencies;

  constructor(deps: AccountPasswordDependencies) {
    this.#deps = deps;
  }

  /** The account a still-valid link is for; the link is not used up. */
  async accountForLink(token: string, purpose: AccountTokenPurpose): Promise<AccountRow> {
    const row = await this.#deps.tokens.findValid(token, purpose);
    const account = row && (await this.#deps.accounts.findById(row.account_id));
    if (!account) throw new LinkInvalidError();
    return account;
  }

  /**
   * Uses the link up and sets the password. Following the link proved the mailbox, so the address
   * becomes verified. Any password change voids the other reset and invitation links and revokes
   * every session, grant and token of the account, telling its apps (back-channel logout): whoever
   * knew the old password is signed out.
   */
  async setPasswordWithLink(token: string, purpose: AccountTokenPurpose, password: string): Promise<AccountRow> {
    const { db, accounts, tokens, signOut, hasher } = this.#deps;
    const account = await this.accountForLink(token, purpose);
    assertPasswordAllowed(password, account);
    const passwordHash = await hasher.hash(password);
    await db.transaction().execute(async (trx) => {
      if (!(await tokens.consume(trx, token, purpose))) throw new LinkInvalidError();
      await accounts.update(trx, account.id, { password_hash: passwordHash, password_changed_at: new Date(), email_verified: true });
      await tokens.voidAll(trx, account.id, ['password_reset', 'invitation']);
      await signOut.signOutEverywhere(trx, account.id, purpose);
    });
    return account;
  }
}
