import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * What a person allowed a third-party app, kept per account and app until they remove it (not
 * only in the browser session's Grant), so signing in again or on another device does not ask again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('consents')
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (col) => col.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('scopes', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('claims', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('resource_scopes', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('granted_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('consents__account_id_client_id', ['account_id', 'client_id'])
    .execute();
  // Deleting an app (on delete cascade) looks consents up by client.
  await db.schema.createIndex('consents__client_id').on('consents').column('client_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('consents').execute();
}
