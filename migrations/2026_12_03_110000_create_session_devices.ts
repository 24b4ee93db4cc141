import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * The browser each oidc-provider Session was signed in from (its device cookie's hash and user
 * agent), recorded as the sign-in resumes: My account lists the sessions with their device.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('session_devices')
    .addColumn('session_uid', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('device_hash', 'text')
    .addColumn('user_agent', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('signed_in_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('session_devices__account_id').on('session_devices').column('account_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_devices').execute();
}
