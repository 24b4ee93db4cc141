import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * An app may belong to an organization, whose admins then manage it (issue 11, apps); null: a
 * platform app, managed by operators only. Deleting the organization deletes its apps.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('organization_id', 'uuid', (col) => col.references('organizations.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('clients__organization_id').on('clients').column('organization_id').where(sql.ref('organization_id'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('organization_id').execute();
}
