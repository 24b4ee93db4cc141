import type { Kysely } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * The secret an app had before its last rotation, still accepted until expires_at (the grace
 * period), so that its servers can move to the new secret one by one. One per app: rotating again
 * replaces it. Sealed like the current secret (clients.secret_encrypted).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('client_previous_secrets')
    .addColumn('client_id', 'text', (col) => col.primaryKey().references('clients.id').onDelete('cascade'))
    .addColumn('secret_encrypted', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('client_previous_secrets').execute();
}
