import type { Db } from '../db/database.ts';
import type { AccountRow, AccountTokenPurpose } from '../db/schema.ts';
import type { AccountRepository } from './account.repository.ts';
import { LinkInvalidError, type LinkTokenRepository } from './link-token.repository.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { assertPasswordAllowed } from './password-policy.ts';

/** Signs an account out everywhere (oidc/account-sessions.repository.ts: what oidc-provider stores for it). */
export interface SessionRevocation {
  revokeAll(trx: Db, accountId: string): Promise<void>;
}

export interface AccountPasswordDependencies {
  db: Db;
  accounts: AccountRepository;
  tokens: LinkTokenRepository;
  sessions: SessionRevocation;
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
   * every session, grant and token of the account: whoever knew the old password is signed out.
   */
  async setPasswordWithLink(token: string, purpose: AccountTokenPurpose, password: string): Promise<AccountRow> {
    const { db, accounts, tokens, sessions, hasher } = this.#deps;
    const account = await this.accountForLink(token, purpose);
    assertPasswordAllowed(password, account);
    const passwordHash = await hasher.hash(password);
    await db.transaction().execute(async (trx) => {
      if (!(await tokens.consume(trx, token, purpose))) throw new LinkInvalidError();
      await accounts.update(trx, account.id, { password_hash: passwordHash, password_changed_at: new Date(), email_verified: true });
      await tokens.voidAll(trx, account.id, ['password_reset', 'invitation']);
      await sessions.revokeAll(trx, account.id);
    });
    return account;
  }
}
