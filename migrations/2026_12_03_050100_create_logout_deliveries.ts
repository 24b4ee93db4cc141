import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * Back-channel logout notices waiting to reach an app (OpenID Connect Back-Channel Logout 1.0):
 * what to say (subject, session id, the token's jti), not the token itself, which is signed at each
 * attempt with the keys current then. Every instance's sender claims due rows (SKIP LOCKED and a
 * lease), retries with backoff until give_up_at, then keeps the row as failed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('logout_deliveries')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('client_id', 'text', (col) => col.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('sid', 'text')
    .addColumn('jti', 'text', (col) => col.notNull().unique())
    // Why the person was signed out (logout, password_change, ...): logged with each outcome.
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('give_up_at', 'timestamptz', (col) => col.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('logout_deliveries__next_attempt_at')
    .on('logout_deliveries')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.createIndex('logout_deliveries__created_at').on('logout_deliveries').column('created_at').execute();
  // Deleting an app (on delete cascade) looks its deliveries up by client.
  await db.schema.createIndex('logout_deliveries__client_id').on('logout_deliveries').column('client_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('logout_deliveries').execute();
}
