import { AsyncLocalStorage } from 'node:async_hooks';
import type { Transaction } from 'kysely';
import pLimit from 'p-limit';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

const rollback = Symbol('rollback');

/**
 * One transaction shared by everything a piece of work awaits, for code that cannot be handed one
 * (oidc-provider calls its adapter with no way to pass a transaction). Work run through `run` sees
 * the transaction as `executor`; outside, `executor` is the database itself.
 */
export class TransactionScope {
  readonly #db: Db;
  readonly #current = new AsyncLocalStorage<Transaction<Database>>();
  /**
   * Work inside a transaction holds one pool connection and may need a second for what does not go
   * through the scope (accounts, clients): with at most half the pool in transactions, the other
   * half is always there for those reads, so a burst cannot starve the pool.
   */
  readonly #slots: ReturnType<typeof pLimit>;

  constructor(db: Db, maxConcurrent = 5) {
    this.#db = db;
    this.#slots = pLimit(maxConcurrent);
  }

  get executor(): Db {
    return this.#current.getStore() ?? this.#db;
  }

  /**
   * Runs `work` in one transaction, committed when `keep()` says so afterwards and rolled back
   * otherwise (the work answered a failure without throwing). Throws when the database fails to
   * begin or commit: then nothing of the work was saved.
   */
  run(work: () => Promise<void>, keep: () => boolean): Promise<void> {
    return this.#slots(async () => {
      try {
        await this.#db.transaction().execute(async (trx) => {
          await this.#current.run(trx, work);
          if (!keep()) throw rollback;
        });
      } catch (error) {
        if (error !== rollback) throw error;
      }
    });
  }
}
