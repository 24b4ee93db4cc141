import type { Kysely } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * Whether an organization's own admins may register and manage its apps in the admin center and
 * the admin API (an operator decides: `orgs allow-apps`). Off by default; operators always may.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('organizations')
    .addColumn('apps_allowed', 'boolean', (col) => col.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('apps_allowed').execute();
}
