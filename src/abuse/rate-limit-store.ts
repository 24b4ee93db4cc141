import { CompiledQuery } from 'kysely';
import type { Db } from '../db/database.ts';

interface PgQuery {
  text: string;
  values?: unknown[];
}

/**
 * What RateLimiterPostgres needs of a pg pool (`query({ text, values })` answering rows and
 * rowCount), served by the application's own pool through Kysely: no second pool to size.
 */
export function rateLimitStore(db: Db) {
  return {
    async query({ text, values = [] }: PgQuery) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows, rowCount: result.rows.length || Number(result.numAffectedRows ?? 0) };
    },
  };
}
