import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/db/database.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { migrateToLatest } from '../../src/db/migrator.ts';
import { createLogger } from '../../src/log.ts';

export const templateDatabase = 'signin_template';

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0):
// it would replace vitest's exit code, and a failing suite would pass. The teardown below stops the
// cluster instead (the signal handlers stay, for a run that is interrupted).
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** One throwaway PostgreSQL for the run; each test file gets its own database cloned from a migrated template. */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'signin-test-'));
  const postgres = await startEmbeddedPostgres(dataDir, { persistent: false });
  const adminUrl = new URL(postgres.url);
  adminUrl.pathname = '/postgres';

  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${templateDatabase}`);
  await admin.end();

  const templateUrl = new URL(postgres.url);
  templateUrl.pathname = `/${templateDatabase}`;
  const db = createDatabase(templateUrl.toString(), createLogger('silent'), { maxConnections: 1 });
  await migrateToLatest(db);
  await db.destroy();

  project.provide('postgresUrl', adminUrl.toString());
  return async () => {
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
