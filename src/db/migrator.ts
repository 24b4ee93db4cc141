import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { FileMigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration';

const migrationFolder = path.resolve(import.meta.dirname, '..', '..', 'migrations');

export class MigrationError extends Error {}

/**
 * Brings the schema to the latest migration. Kysely's PostgreSQL adapter holds an advisory lock
 * for the whole run, so instances starting together wait for each other instead of racing.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((migration) => migration.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`Migration ${failed} failed: ${(result.error as Error).message ?? result.error}`);
  }
  return result;
}
