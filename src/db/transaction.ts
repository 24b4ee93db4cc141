import type { Db } from './database.ts';

/**
 * Runs `work` in the caller's transaction, or in a new one when the caller passed the database:
 * a repository's multi-statement write stays atomic either way (kysely cannot nest transactions).
 */
export function withinTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** PostgreSQL's unique_violation: a concurrent write got there first. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}

/** PostgreSQL refused the data itself (SQLSTATE classes 22, data exception, and 23, integrity constraint violation). */
export function isDataError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
