import { randomUUID } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { Logger } from '../log.ts';
import type { Db } from './database.ts';
import { isDatabaseUnavailable } from './database-unavailable.ts';
import type { Database } from './schema.ts';

/** Columns a work queue table needs for leased claims (outgoing_mails; the back-channel logout queue). */
interface LeasedColumns {
  id: unknown;
  status: unknown;
  attempts: unknown;
  next_attempt_at: unknown;
  lease_token: unknown;
}

export type LeasedTable = { [Name in keyof Database]: Database[Name] extends LeasedColumns ? Name : never }[keyof Database];

export interface Lease<Row> {
  /** Identifies this claim: writes that finish a row check it, so a claim taken over is never overwritten. */
  token: string;
  rows: Row[];
}

/**
 * Claims on a work queue shared by every instance. A claim is a lease: the rows' next_attempt_at
 * moves `leaseSeconds` ahead and they carry the claim's token. A live instance renews its lease
 * while it works (`hold`); a dead one stops renewing, and another instance takes its rows over
 * once the lease runs out, that is within `leaseSeconds` plus one poll.
 */
export class LeasedQueue<Table extends LeasedTable> {
  readonly #db: Db;
  readonly #table: Table;
  readonly leaseSeconds: number;

  constructor(db: Db, table: Table, leaseSeconds: number) {
    this.#db = db;
    this.#table = table;
    this.leaseSeconds = leaseSeconds;
  }

  /** Up to `limit` due rows (status pending, next_attempt_at passed), oldest first; SKIP LOCKED lets instances claim side by side. */
  async claim(limit: number): Promise<Lease<Selectable<Database[Table]>>> {
    const token = randomUUID();
    const table = sql.table(this.#table);
    const { rows } = await sql<Selectable<Database[Table]>>`
      update ${table} set attempts = attempts + 1, lease_token = ${token},
        next_attempt_at = now() + make_interval(secs => ${this.leaseSeconds})
      where id in (
        select id from ${table} where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at limit ${limit} for update skip locked)
      returning *`.execute(this.#db);
    return { token, rows };
  }

  /** Pushes the lease of the claim's rows still pending and still held. */
  async renew(token: string): Promise<void> {
    await sql`
      update ${sql.table(this.#table)} set next_attempt_at = now() + make_interval(secs => ${this.leaseSeconds})
      where lease_token = ${token} and status = 'pending'`.execute(this.#db);
  }

  /**
   * Runs `work` on a claim, renewing its lease every third of its length until the work is done.
   * A renewal that fails (the database away) is logged and tried again at the next beat.
   */
  async hold<T>(token: string, logger: Logger, work: () => Promise<T>): Promise<T> {
    const beat = setInterval(
      () => {
        this.renew(token).catch((error: unknown) => logger.warn({ err: error, table: this.#table }, 'queue lease not renewed'));
      },
      (this.leaseSeconds * 1000) / 3,
    );
    try {
      return await work();
    } finally {
      clearInterval(beat);
    }
  }
}

/**
 * Records the outcome of work already done outside the database (a mail handed to SMTP): while the
 * database is away the write is retried, up to the lease's length, so that a short outage neither
 * loses the outcome nor lets another instance redo the work once the lease runs out.
 */
export async function recordOutcome<T>(write: () => Promise<T>, leaseSeconds: number, retryEveryMs = 500): Promise<T> {
  const deadline = Date.now() + leaseSeconds * 1000;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + retryEveryMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryEveryMs));
    }
  }
}
