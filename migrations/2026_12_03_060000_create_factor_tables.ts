import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * Second factors and devices (issue 10): authenticator apps, recovery codes, passkeys, the browsers
 * an account has used and the codes mailed to confirm a new one, recent confirmations on My account,
 * organizations' MFA policies and which upstream amr/acr a connection is trusted for.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const accountId = (col: any) => col.notNull().references('accounts.id').onDelete('cascade');
  const now = (col: any) => col.notNull().defaultTo(sql`now()`);

  // Per account: the WebAuthn user handle (random, never the email) and when trust must be asked again.
  await db.schema
    .createTable('account_factor_settings')
    .addColumn('account_id', 'uuid', (col) => accountId(col).primaryKey())
    .addColumn('webauthn_user_handle', 'text', (col) => col.unique())
    .addColumn('factors_changed_at', 'timestamptz')
    .addColumn('trust_revoked_at', 'timestamptz')
    .execute();

  // One authenticator app per account; confirmed_at stays null until the first code proves the enrolment.
  await db.schema
    .createTable('totp_authenticators')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (col) => accountId(col).unique())
    .addColumn('secret_encrypted', 'text', (col) => col.notNull())
    .addColumn('last_used_step', 'bigint')
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', now)
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', accountId)
    .addColumn('code_hash', 'text', (col) => col.notNull())
    .addColumn('consumed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', now)
    .addUniqueConstraint('recovery_codes__account_id_code_hash', ['account_id', 'code_hash'])
    .execute();

  await db.schema
    .createTable('passkeys')
    .addColumn('credential_id', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'uuid', accountId)
    .addColumn('public_key', 'bytea', (col) => col.notNull())
    .addColumn('counter', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('transports', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('device_type', 'text', (col) => col.notNull())
    .addColumn('backed_up', 'boolean', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('passkeys__account_id').on('passkeys').column('account_id').execute();

  // A WebAuthn challenge is used once (deleted on use) and lives a few minutes.
  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('challenge', 'text', (col) => col.notNull())
    .addColumn('account_id', 'uuid', (col) => col.references('accounts.id').onDelete('cascade'))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();

  // A browser (its device cookie, stored hashed) this account has signed in from; trusted_until skips the check.
  await db.schema
    .createTable('account_devices')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', accountId)
    .addColumn('device_hash', 'text', (col) => col.notNull())
    .addColumn('user_agent', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('last_seen_at', 'timestamptz', now)
    .addColumn('trusted_at', 'timestamptz')
    .addColumn('trusted_until', 'timestamptz')
    .addUniqueConstraint('account_devices__account_id_device_hash', ['account_id', 'device_hash'])
    .execute();

  // The 6-digit code mailed to confirm a new device: one live code per account, a few tries.
  await db.schema
    .createTable('device_codes')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', accountId)
    .addColumn('device_hash', 'text', (col) => col.notNull())
    .addColumn('code_hash', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('consumed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('device_codes__account_id').on('device_codes').column('account_id').execute();

  // "Confirm it's you" on My account: a browser session confirmed with a factor, for a few minutes.
  await db.schema
    .createTable('session_confirmations')
    .addColumn('session_uid', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'uuid', accountId)
    .addColumn('method', 'text', (col) => col.notNull())
    .addColumn('confirmed_at', 'timestamptz', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('organization_mfa_policies')
    .addColumn('organization_id', 'uuid', (col) => col.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('phishing_resistant', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('grace_days', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('required_since', 'timestamptz', now)
    .execute();

  // An upstream's own MFA counts as ours only for the amr/acr values listed for its connection.
  await db.schema
    .createTable('connection_upstream_trust')
    .addColumn('connection_id', 'text', (col) => col.primaryKey().references('federation_connections.id').onDelete('cascade'))
    .addColumn('trusted_amr', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('trusted_acr', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'connection_upstream_trust',
    'organization_mfa_policies',
    'session_confirmations',
    'device_codes',
    'account_devices',
    'webauthn_challenges',
    'passkeys',
    'recovery_codes',
    'totp_authenticators',
    'account_factor_settings',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
