import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from './database.ts';

/**
 * What `export` and `import` carry between deployments (a staging copy, disaster recovery): the
 * configuration an operator or an organization admin set up, not people or sessions. Rows travel as
 * PostgreSQL wrote them; secrets stay sealed under KEY_ENCRYPTION_SECRET, so the target needs that
 * secret (current or in KEY_ENCRYPTION_SECRET_PREVIOUS). In import order (foreign keys first), with
 * the key each row is matched on.
 */
const snapshotTables = [
  { table: 'organizations', key: ['id'] },
  { table: 'organization_domains', key: ['organization_id', 'domain'] },
  { table: 'resource_servers', key: ['identifier'] },
  { table: 'clients', key: ['id'] },
  { table: 'federation_connections', key: ['id'] },
] as const;

type SnapshotTable = (typeof snapshotTables)[number]['table'];

const rows = z.array(z.record(z.string(), z.unknown()));
export const configurationSnapshotSchema = z.object({
  format: z.literal('signin-configuration'),
  version: z.literal(1),
  exportedAt: z.string(),
  tables: z.object(Object.fromEntries(snapshotTables.map(({ table }) => [table, rows])) as Record<SnapshotTable, typeof rows>),
});

export type ConfigurationSnapshot = z.infer<typeof configurationSnapshotSchema>;

/**
 * `builtInResourceServers`: resource servers each instance registers for itself at start (the
 * admin API, named after its ISSUER): a copy elsewhere has its own.
 */
export async function exportConfiguration(db: Db, options: { builtInResourceServers: string[] }): Promise<ConfigurationSnapshot> {
  return db.transaction().execute(async (trx) => {
    // One snapshot of every table, whatever commits meanwhile.
    await sql`set transaction isolation level repeatable read`.execute(trx);
    const tables = {} as ConfigurationSnapshot['tables'];
    for (const { table, key } of snapshotTables) {
      const order = sql.join(key.map((column) => sql.ref(column)));
      const { rows: found } = await sql<{ rows: Record<string, unknown>[] | null }>`
        select jsonb_agg(to_jsonb(t) order by ${order}) as rows from ${sql.table(table)} t
        where ${table === 'resource_servers' ? sql`not (identifier = any(${options.builtInResourceServers}))` : sql`true`}`.execute(trx);
      tables[table] = found[0]?.rows ?? [];
    }
    return { format: 'signin-configuration', version: 1, exportedAt: new Date().toISOString(), tables };
  });
}

/** Rows imported per table: inserted, or updated where the key already existed. Idempotent. */
export async function importConfiguration(db: Db, snapshot: ConfigurationSnapshot): Promise<Record<SnapshotTable, number>> {
  return db.transaction().execute(async (trx) => {
    const counts = {} as Record<SnapshotTable, number>;
    for (const { table, key } of snapshotTables) {
      const { rows: columns } = await sql<{ name: string }>`
        select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = ${table}`.execute(trx);
      const updated = columns.map(({ name }) => name).filter((name) => !(key as readonly string[]).includes(name));
      const assignments = sql.join(updated.map((name) => sql`${sql.ref(name)} = excluded.${sql.ref(name)}`));
      const result = await sql`
        insert into ${sql.table(table)}
        select * from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(snapshot.tables[table])}::jsonb)
        on conflict (${sql.join(key.map((column) => sql.ref(column)))}) do update set ${assignments}`.execute(trx);
      counts[table] = Number(result.numAffectedRows ?? 0);
    }
    return counts;
  });
}
