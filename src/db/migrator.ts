import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { FileMigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration';

const migrationFolder = path.resolve(import.meta.dirname, '..', '..', 'migrations');

export class MigrationError extends Error {}

/**
 * Brings the schema to the latest migration. Kysely's PostgreSQL adapter holds an advisory lock
 * for the whole run, so instances starting together wait for each other instead of racing; on one
 * connection freed of the pool's statement timeout, since waiting for that lock, or building an
 * index on a large table, may take longer than any request should.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      return await new Migrator({ db: connection, provider: new FileMigrationProvider({ fs, path, migrationFolder }) }).migrateToLatest();
    } finally {
      await sql`reset statement_timeout`.execute(connection);
    }
  });
  if (result.error) {
    const failed = result.results?.find((migration) => migration.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`Migration ${failed} failed: ${(result.error as Error).message ?? result.error}`);
  }
  return result;
}
