import { sql, type UpdateObject } from 'kysely';
import type { Db } from '../db/database.ts';
import { type Lease, LeasedQueue } from '../db/leased-queue.ts';
import { pendingQueueStats } from '../db/queue-stats.ts';
import type { Database, NewOutgoingMailRow, OutgoingMailRow } from '../db/schema.ts';
import type { Logger } from '../log.ts';

/** The outgoing mail queue (outgoing_mails), shared by every instance. */
export class OutgoingMailRepository {
  readonly #db: Db;
  readonly #queue: LeasedQueue<'outgoing_mails'>;

  constructor(db: Db, leaseSeconds: number) {
    this.#db = db;
    this.#queue = new LeasedQueue(db, 'outgoing_mails', leaseSeconds);
  }

  async insert(db: Db, mail: NewOutgoingMailRow): Promise<void> {
    await db.insertInto('outgoing_mails').values(mail).execute();
  }

  /**
   * Claims due mails for this instance (a lease: if this instance dies mid-send, the lease runs
   * out and another one retries them).
   */
  claimDue(limit: number): Promise<Lease<OutgoingMailRow>> {
    return this.#queue.claim(limit);
  }

  holdClaim<T>(token: string, logger: Logger, work: () => Promise<T>): Promise<T> {
    return this.#queue.hold(token, logger, work);
  }

  get leaseSeconds(): number {
    return this.#queue.leaseSeconds;
  }

  /** The writes that finish a claimed mail apply only while the claim `token` still holds it. */
  async markSent(db: Db, id: string, token: string): Promise<void> {
    await this.#finish(db, id, token, { status: 'sent', sent_at: sql`now()`, last_error: null });
  }

  async scheduleRetry(db: Db, id: string, token: string, delaySeconds: number, error: string): Promise<void> {
    await this.#finish(db, id, token, { next_attempt_at: sql`now() + make_interval(secs => ${delaySeconds})`, last_error: error });
  }

  async markFailed(db: Db, id: string, token: string, error: string): Promise<void> {
    await this.#finish(db, id, token, { status: 'failed', last_error: error });
  }

  async #finish(db: Db, id: string, token: string, changes: UpdateObject<Database, 'outgoing_mails'>): Promise<void> {
    await db.updateTable('outgoing_mails').set(changes).set({ lease_token: null }).where('id', '=', id).where('lease_token', '=', token).execute();
  }

  /** Mails not sent yet, and how long the oldest has waited (metrics). */
  pendingStats(): Promise<{ depth: number; oldestAgeSeconds: number }> {
    return pendingQueueStats(this.#db, 'outgoing_mails');
  }

  listRecent(limit: number): Promise<OutgoingMailRow[]> {
    return this.#db.selectFrom('outgoing_mails').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
  }

  /** Sent mail is kept a day (for the dev outbox and support), undeliverable mail a week. */
  async purgeOld(db: Db): Promise<void> {
    await db
      .deleteFrom('outgoing_mails')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'sent'), eb('created_at', '<', sql<Date>`now() - interval '1 day'`)]),
          eb.and([eb('status', '=', 'failed'), eb('created_at', '<', sql<Date>`now() - interval '7 days'`)]),
        ]),
      )
      .execute();
  }
}
