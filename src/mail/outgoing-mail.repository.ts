import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { NewOutgoingMailRow, OutgoingMailRow } from '../db/schema.ts';

/** The outgoing mail queue (outgoing_mails), shared by every instance. */
export class OutgoingMailRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(mail: NewOutgoingMailRow): Promise<void> {
    await this.#db.insertInto('outgoing_mails').values(mail).execute();
  }

  /**
   * Takes up to `limit` due mails for this instance: SKIP LOCKED lets instances claim side by side,
   * and the lease (next_attempt_at pushed forward) keeps others off them while they are being sent;
   * if this instance dies mid-send, the lease runs out and another one retries.
   */
  claimDue(limit: number, leaseSeconds: number): Promise<OutgoingMailRow[]> {
    return this.#db
      .updateTable('outgoing_mails')
      .set({ attempts: sql`attempts + 1`, next_attempt_at: sql`now() + make_interval(secs => ${leaseSeconds})` })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outgoing_mails')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', sql<Date>`now()`)
          .orderBy('next_attempt_at')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
  }

  async markSent(id: string): Promise<void> {
    await this.#db.updateTable('outgoing_mails').set({ status: 'sent', sent_at: sql`now()`, last_error: null }).where('id', '=', id).execute();
  }

  async scheduleRetry(id: string, delaySeconds: number, error: string): Promise<void> {
    await this.#db
      .updateTable('outgoing_mails')
      .set({ next_attempt_at: sql`now() + make_interval(secs => ${delaySeconds})`, last_error: error })
      .where('id', '=', id)
      .execute();
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.#db.updateTable('outgoing_mails').set({ status: 'failed', last_error: error }).where('id', '=', id).execute();
  }

  /** Mails not sent yet, and how long the oldest has waited (metrics). */
  async pendingStats(): Promise<{ depth: number; oldestAgeSeconds: number }> {
    const row = await this.#db
      .selectFrom('outgoing_mails')
      .select([sql<string>`count(*)`.as('depth'), sql<string>`coalesce(extract(epoch from now() - min(created_at)), 0)`.as('oldest_age_seconds')])
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return { depth: Number(row.depth), oldestAgeSeconds: Number(row.oldest_age_seconds) };
  }

  listRecent(limit: number): Promise<OutgoingMailRow[]> {
    return this.#db.selectFrom('outgoing_mails').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
  }

  /** Sent mail is kept a day (for the dev outbox and support), undeliverable mail a week. */
  async purgeOld(): Promise<void> {
    await this.#db
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
