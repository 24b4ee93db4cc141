import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
export async function up(db: Kysely<any>): Promise<void> {
  // An upstream identity provider (SAML or OIDC) of an organization; social providers may have none.
  await db.schema
    .createTable('federation_connections')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('organization_id', 'uuid', (col) => col.references('organizations.id').onDelete('cascade'))
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('settings', 'jsonb', (col) => col.notNull())
    // Client secrets, SP private keys: one sealed JSON object.
    .addColumn('secrets_encrypted', 'text')
    .addColumn('enabled', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('federation_connections__organization_id').on('federation_connections').column('organization_id').execute();

  // Upstream identities are keyed by (connection, subject), never by email.
  await db.schema
    .createTable('federated_identities')
    .addColumn('connection_id', 'text', (col) => col.notNull().references('federation_connections.id').onDelete('cascade'))
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('last_sign_in_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('federated_identities__connection_id_subject', ['connection_id', 'subject'])
    .execute();
  await db.schema.createIndex('federated_identities__account_id').on('federated_identities').column('account_id').execute();

  // What an upstream sent back, kept a few minutes between the callback and the interaction's resume.
  await db.schema
    .createTable('federation_callbacks')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('uid', 'text', (col) => col.notNull())
    .addColumn('connection_id', 'text', (col) => col.notNull())
    .addColumn('payload_encrypted', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();

  // AuthnRequests we sent: a response must answer one of them (InResponseTo), before it expires.
  await db.schema
    .createTable('saml_requests')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('connection_id', 'text', (col) => col.notNull())
    .addColumn('state_encrypted', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();

  // Assertions already used: the same assertion never signs anyone in twice.
  await db.schema
    .createTable('saml_assertions_seen')
    .addColumn('connection_id', 'text', (col) => col.notNull())
    .addColumn('assertion_id', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('saml_assertions_seen__connection_id_assertion_id', ['connection_id', 'assertion_id'])
    .execute();

  for (const table of ['federation_callbacks', 'saml_requests', 'saml_assertions_seen']) {
    await db.schema.createIndex(`${table}__expires_at`).on(table).column('expires_at').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['saml_assertions_seen', 'saml_requests', 'federation_callbacks', 'federated_identities', 'federation_connections']) {
    await db.schema.dropTable(table).execute();
  }
}
