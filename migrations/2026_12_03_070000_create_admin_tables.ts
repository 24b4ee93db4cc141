import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * The admin center: platform operators, organization owners and admins, machine clients of the
 * admin API with the organization and role they act for, the audit log, and disabled accounts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('platform_operators')
    .addColumn('account_id', 'uuid', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('organization_admins')
    .addColumn('organization_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ('owner', 'admin')`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('organization_admins__organization_id_account_id', ['organization_id', 'account_id'])
    .execute();
  await db.schema.createIndex('organization_admins__account_id').on('organization_admins').column('account_id').execute();

  // A machine client of the admin API acts for one organization with a role, or for the platform (organization_id null).
  await db.schema
    .createTable('admin_api_clients')
    .addColumn('client_id', 'text', (col) => col.primaryKey().references('clients.id').onDelete('cascade'))
    .addColumn('organization_id', 'uuid', (col) => col.references('organizations.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ('owner', 'admin', 'operator')`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('admin_api_clients__operator_is_platform', sql`(role = 'operator') = (organization_id is null)`)
    .execute();

  // No foreign keys: the record of what happened outlives the organization, account or object it names.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organization_id', 'uuid')
    .addColumn('actor_type', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text', (col) => col.notNull())
    .addColumn('target_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('request_id', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('audit_events__organization_id_created_at').on('audit_events').columns(['organization_id', 'created_at']).execute();
  await db.schema.createIndex('audit_events__created_at').on('audit_events').column('created_at').execute();

  // A disabled account signs in nowhere and gets no token until it is enabled again.
  await db.schema.alterTable('accounts').addColumn('disabled_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('disabled_at').execute();
  for (const table of ['audit_events', 'admin_api_clients', 'organization_admins', 'platform_operators']) {
    await db.schema.dropTable(table).execute();
  }
}
