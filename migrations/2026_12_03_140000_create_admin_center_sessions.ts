import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * The admin center's sessions: its tokens stay on the server, keyed by the SHA-256 of the random
 * id in the browser's cookie (a database leak gives no usable cookie), tokens sealed with the
 * secret box.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_center_sessions')
    .addColumn('id_hash', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('access_token_encrypted', 'text', (col) => col.notNull())
    .addColumn('id_token_encrypted', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('admin_center_sessions__account_id').on('admin_center_sessions').column('account_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_center_sessions').execute();
}
