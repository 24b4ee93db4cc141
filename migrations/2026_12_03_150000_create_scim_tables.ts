import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * SCIM 2.0 provisioning per organization (issue 11 item 10): the bearer tokens its IdP holds (only
 * their SHA-256 is stored), the externalId the IdP gave each provisioned member and the role SCIM
 * granted them, and the IdP's groups with their members.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const organizationId = (col: any) => col.notNull().references('organizations.id').onDelete('cascade');
  const accountId = (col: any) => col.notNull().references('accounts.id').onDelete('cascade');
  const now = (col: any) => col.notNull().defaultTo(sql`now()`);

  await db.schema
    .createTable('scim_tokens')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organization_id', 'uuid', organizationId)
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('scim_tokens__organization_id').on('scim_tokens').column('organization_id').execute();

  // A member the organization's IdP provisions: its externalId, and the role its groups granted (to take back only that one).
  await db.schema
    .createTable('scim_users')
    .addColumn('organization_id', 'uuid', organizationId)
    .addColumn('account_id', 'uuid', accountId)
    .addColumn('external_id', 'text')
    .addColumn('granted_role', 'text', (col) => col.check(sql`granted_role in ('owner', 'admin')`))
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .addPrimaryKeyConstraint('scim_users__organization_id_account_id', ['organization_id', 'account_id'])
    .execute();
  await sql`create unique index scim_users__organization_id_external_id on scim_users (organization_id, external_id) where external_id is not null`.execute(db);

  await db.schema
    .createTable('scim_groups')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organization_id', 'uuid', organizationId)
    .addColumn('display_name', 'text', (col) => col.notNull())
    .addColumn('external_id', 'text')
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .execute();
  await sql`create unique index scim_groups__organization_id_display_name on scim_groups (organization_id, lower(display_name))`.execute(db);

  await db.schema
    .createTable('scim_group_members')
    .addColumn('group_id', 'uuid', (col) => col.notNull().references('scim_groups.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', accountId)
    .addPrimaryKeyConstraint('scim_group_members__group_id_account_id', ['group_id', 'account_id'])
    .execute();
  await db.schema.createIndex('scim_group_members__account_id').on('scim_group_members').column('account_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['scim_group_members', 'scim_groups', 'scim_users', 'scim_tokens']) {
    await db.schema.dropTable(table).execute();
  }
}
