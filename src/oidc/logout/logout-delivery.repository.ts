import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { type Lease, LeasedQueue } from '../../db/leased-queue.ts';
import type { LogoutDeliveryRow } from '../../db/schema.ts';
import type { Logger } from '../../log.ts';

/** Longer than a request's timeout (requestTimeoutSeconds, at most 20 s), renewed while a delivery is sent; a dead instance's claims are taken over when it runs out. */
const defaultLeaseSeconds = 30;

/** One app to tell that a person signed out: who (subject), of which session (sid, when known), and why. */
export interface LogoutNotice {
  clientId: string;
  subject: string;
  sid: string | null;
  reason: string;
}

/**
 * The back-channel logout queue (logout_deliveries), shared by every instance. Each method takes
 * the database or the transaction it works in: enqueuing belongs to the sign-out that causes it.
 */
export class LogoutDeliveryRepository {
  readonly #queue: LeasedQueue<'logout_deliveries'>;

  constructor(db: Db, leaseSeconds = defaultLeaseSeconds) {
    this.#queue = new LeasedQueue(db, 'logout_deliveries', leaseSeconds);
  }

  async enqueue(db: Db, notices: LogoutNotice[], giveUpAfterSeconds: number): Promise<void> {
    if (!notices.length) return;
    await db
      .insertInto('logout_deliveries')
      .values(
        notices.map((notice) => ({
          client_id: notice.clientId,
          subject: notice.subject,
          sid: notice.sid,
          reason: notice.reason,
          jti: crypto.randomUUID(),
          give_up_at: sql<Date>`now() + make_interval(secs => ${giveUpAfterSeconds})`,
        })),
      )
      .execute();
  }

  /** Claims due deliveries for this instance (SKIP LOCKED, on a lease: see LeasedQueue). */
  claimDue(limit: number): Promise<Lease<LogoutDeliveryRow>> {
    return this.#queue.claim(limit);
  }

  holdClaim<T>(token: string, logger: Logger, work: () => Promise<T>): Promise<T> {
    return this.#queue.hold(token, logger, work);
  }

  get leaseSeconds(): number {
    return this.#queue.leaseSeconds;
  }

  /** The writes that finish a claimed delivery apply only while the claim `token` still holds it. */
  async markDelivered(db: Db, id: string, token: string): Promise<void> {
    await db
      .updateTable('logout_deliveries')
      .set({ status: 'delivered', delivered_at: sql`now()`, last_error: null })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .execute();
  }

  async markFailed(db: Db, id: string, token: string, error: string): Promise<void> {
    await db.updateTable('logout_deliveries').set({ status: 'failed', last_error: error }).where('id', '=', id).where('lease_token', '=', token).execute();
  }

  /** Tries again after the delay, or gives up (false) when that would be past give_up_at. */
  async retryOrGiveUp(db: Db, id: string, token: string, delaySeconds: number, error: string): Promise<boolean> {
    const row = await db
      .updateTable('logout_deliveries')
      .set({
        status: sql`case when now() + make_interval(secs => ${delaySeconds}) > give_up_at then 'failed' else 'pending' end`,
        next_attempt_at: sql`now() + make_interval(secs => ${delaySeconds})`,
        last_error: error,
      })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .returning('status')
      .executeTakeFirst();
    return row?.status === 'pending';
  }

  /** What an app has been sent or is still owed, oldest first (tests and support). */
  listOfClient(db: Db, clientId: string): Promise<LogoutDeliveryRow[]> {
    return db.selectFrom('logout_deliveries').selectAll().where('client_id', '=', clientId).orderBy('created_at').execute();
  }

  /** Delivered notices are kept a day, undeliverable ones a week (support can see what an app missed). */
  async purgeOld(db: Db): Promise<void> {
    await db
      .deleteFrom('logout_deliveries')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'delivered'), eb('created_at', '<', sql<Date>`now() - interval '1 day'`)]),
          eb.and([eb('status', '=', 'failed'), eb('created_at', '<', sql<Date>`now() - interval '7 days'`)]),
        ]),
      )
      .execute();
  }
}
