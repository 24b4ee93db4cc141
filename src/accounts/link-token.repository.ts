import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { AccountTokenPurpose, AccountTokenRow } from '../db/schema.ts';
import { withinTransaction } from '../db/transaction.ts';
import { AppError } from '../http/errors.ts';

/** Unknown, expired, used or superseded: one answer, whatever the reason. */
export class LinkInvalidError extends AppError {
  constructor() {
    super('link.invalid', 400);
  }
}

/** 256 random bits, base64url: the secret that travels in an emailed link, never stored. */
function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this digest is stored. A plain SHA-256 is enough: the token has 256 bits of entropy, nothing to brute-force. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Single-use tokens of emailed links. A token is valid while unconsumed and unexpired; issuing a
 * new one for the same purpose consumes the older ones, so only the latest link works.
 */
export class LinkTokenRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Returns the token to put in the link. `keepEarlier`: the earlier links of this purpose keep
   * working (each "This wasn't me" notice must, whichever of them is read).
   */
  async issue(db: Db, accountId: string, purpose: AccountTokenPurpose, lifetimeSeconds: number, { keepEarlier = false } = {}): Promise<string> {
    const token = newToken();
    await withinTransaction(db, async (trx) => {
      if (!keepEarlier) await this.voidAll(trx, accountId, [purpose]);
      await trx
        .insertInto('account_tokens')
        .values({ account_id: accountId, purpose, token_hash: digest(token), expires_at: sql`now() + make_interval(secs => ${lifetimeSeconds})` })
        .execute();
    });
    return token;
  }

  findValid(token: string, purpose: AccountTokenPurpose, db: Db = this.#db): Promise<AccountTokenRow | undefined> {
    return db
      .selectFrom('account_tokens')
      .selectAll()
      .where('token_hash', '=', digest(token))
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
  }

  /** Consumes a valid token in one conditional update: of two concurrent uses, only one succeeds. */
  consume(db: Db, token: string, purpose: AccountTokenPurpose): Promise<AccountTokenRow | undefined> {
    return db
      .updateTable('account_tokens')
      .set({ consumed_at: sql`now()` })
      .where('token_hash', '=', digest(token))
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returningAll()
      .executeTakeFirst();
  }

  async voidAll(db: Db, accountId: string, purposes: AccountTokenPurpose[]): Promise<void> {
    await db
      .updateTable('account_tokens')
      .set({ consumed_at: sql`now()` })
      .where('account_id', '=', accountId)
      .where('purpose', 'in', purposes)
      .where('consumed_at', 'is', null)
      .execute();
  }

  /** Links are kept a day past their expiry (support can tell "expired" from "never sent"), then deleted. */
  async purgeExpired(db: Db): Promise<void> {
    await db.deleteFrom('account_tokens').where('expires_at', '<', sql<Date>`now() - interval '1 day'`).execute();
  }
}
