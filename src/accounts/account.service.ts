import type { Db } from '../db/database.ts';
import type { AccountRow } from '../db/schema.ts';
import { ConflictError } from '../http/errors.ts';
import type { AccountRepository } from './account.repository.ts';
import { normalizeEmail } from './email.ts';
import type { PasswordHasher } from './password-hasher.ts';

export interface NewAccount {
  email: string;
  password?: string;
  name?: string;
  emailVerified?: boolean;
  locale?: string;
}

export class AccountService {
  readonly #db: Db;
  readonly #accounts: AccountRepository;
  readonly #hasher: PasswordHasher;

  constructor(db: Db, accounts: AccountRepository, hasher: PasswordHasher) {
    this.#db = db;
    this.#accounts = accounts;
    this.#hasher = hasher;
  }

  async createAccount(account: NewAccount): Promise<AccountRow> {
    if (await this.#accounts.findByEmail(account.email)) throw new ConflictError('account.email_taken');
    const [givenName, ...rest] = account.name?.trim().split(/\s+/) ?? [];
    return this.#accounts.insert(this.#db, {
      email: normalizeEmail(account.email),
      email_verified: account.emailVerified ?? false,
      name: account.name?.trim() || null,
      given_name: givenName || null,
      family_name: rest.join(' ') || null,
      locale: account.locale ?? null,
      password_hash: account.password ? await this.#hasher.hash(account.password) : null,
      password_changed_at: account.password ? new Date() : null,
    });
  }

  /**
   * Returns the account when email and password match, undefined otherwise. Unknown emails and
   * accounts without a password cost a decoy compare so that timing does not reveal them.
   */
  async authenticateWithPassword(email: string, password: string): Promise<AccountRow | undefined> {
    const account = await this.#accounts.findByEmail(email);
    if (!account?.password_hash) {
      await this.#hasher.decoyVerify(password);
      return undefined;
    }
    const check = await this.#hasher.verify(password, account.password_hash);
    if (!check.valid) return undefined;
    if (check.needsRehash) {
      await this.#accounts.update(this.#db, account.id, { password_hash: await this.#hasher.hash(password) });
    }
    return account;
  }
}
