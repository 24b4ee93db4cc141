import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (col) => col.notNull())
    // When set, members and users of the verified domains sign in through the company IdP only.
    .addColumn('sso_enforced', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('organization_domains')
    .addColumn('organization_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('domain', 'text', (col) => col.notNull())
    .addColumn('verification_token', 'text', (col) => col.notNull())
    .addColumn('verified_at', 'timestamptz')
    .addColumn('verified_by', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('organization_domains__organization_id_domain', ['organization_id', 'domain'])
    .execute();
  // Several organizations may claim a domain; only one can prove it, and only a proven domain routes users.
  await db.schema
    .createIndex('organization_domains__domain_verified')
    .on('organization_domains')
    .column('domain')
    .unique()
    .where(sql.ref('verified_at'), 'is not', null)
    .execute();

  await db.schema
    .createTable('organization_members')
    .addColumn('organization_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('organization_members__organization_id_account_id', ['organization_id', 'account_id'])
    .execute();
  await db.schema.createIndex('organization_members__account_id').on('organization_members').column('account_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['organization_members', 'organization_domains', 'organizations']) {
    await db.schema.dropTable(table).execute();
  }
}
