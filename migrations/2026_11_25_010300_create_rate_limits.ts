import type { Kysely } from 'kysely';

// Frozen once merged: later changes go into new migrations.
// Counters of rate-limiter-flexible's RateLimiterPostgres (its own layout: key, points, expire in
// epoch milliseconds), created here so that the library never creates tables at run time.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'varchar(255)', (col) => col.primaryKey())
    .addColumn('points', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('expire', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limits').execute();
}
