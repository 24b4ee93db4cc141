import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { createLogger } from '../src/log.ts';
import { projectRoot, runNode, testSecretsEnv } from './helpers/processes.ts';

const migrationNames = readdirSync(path.join(projectRoot, 'migrations'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();

/** A new, empty database (not the migrated template the other tests clone). */
async function createEmptyDatabase(): Promise<string> {
  const adminUrl = inject('postgresUrl');
  const name = `empty_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('migrations', () => {
  it('follow the naming rule YYYY_MM_DD_HHMMSS_verb_object', () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    for (const name of migrationNames) expect(name).toMatch(/^\d{4}_\d{2}_\d{2}_\d{6}_[a-z]+(_[a-z0-9]+)+$/);
  });

  it('two instances starting together on an empty database both succeed and apply each migration once', async () => {
    const url = await createEmptyDatabase();
    const first = createDatabase(url, createLogger('silent'), { maxConnections: 2 });
    const second = createDatabase(url, createLogger('silent'), { maxConnections: 2 });
    try {
      const [a, b] = await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
      const applied = [...(a.results ?? []), ...(b.results ?? [])];
      expect(applied.every((migration) => migration.status === 'Success')).toBe(true);
      expect(applied.map((migration) => migration.migrationName).sort()).toEqual(migrationNames);

      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(first);
      expect(rows.map((row) => row.name)).toEqual(migrationNames);
      const again = await migrateToLatest(first);
      expect(again.results).toEqual([]);
    } finally {
      await first.destroy();
      await second.destroy();
    }
  });

  it('`npm run migrate` applies them, then reports the schema up to date', async () => {
    const env = { NODE_ENV: 'test', DATABASE_URL: await createEmptyDatabase(), ...testSecretsEnv };
    const applied = await runNode(['src/cli/main.ts', 'migrate', '--json'], env);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toEqual({ applied: migrationNames });

    const upToDate = await runNode(['src/cli/main.ts', 'migrate'], env);
    expect(upToDate.code).toBe(0);
    expect(upToDate.stdout.trim()).toBe('migrations are up to date');
  });
});
