import { sql } from 'kysely';
import type { Db } from './database.ts';

/** How many items of a work queue wait, and for how long the oldest has (for the queue gauges). */
export async function pendingQueueStats(db: Db, table: 'outgoing_mails' | 'logout_deliveries'): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const row = await db
    .selectFrom(table)
    .select([sql<string>`count(*)`.as('depth'), sql<string>`coalesce(extract(epoch from now() - min(created_at)), 0)`.as('oldest_age_seconds')])
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return { depth: Number(row.depth), oldestAgeSeconds: Number(row.oldest_age_seconds) };
}
