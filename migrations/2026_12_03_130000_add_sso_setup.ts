import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
/**
 * Guided SSO setup (issue 11 items 4 and 5): a connection's successful test sign-in (what it
 * received), the break-glass owner who keeps a password under enforced SSO, a proven domain whose
 * TXT record went missing, daily jobs run once across instances, and certificate expiry notices
 * sent once per threshold.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = (col: any) => col.notNull().defaultTo(sql`now()`);

  await db.schema.alterTable('federation_connections').addColumn('tested_at', 'timestamptz').addColumn('test_claims', 'jsonb').execute();

  await db.schema
    .alterTable('organizations')
    .addColumn('sso_break_glass_account_id', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .execute();

  await db.schema.alterTable('organization_domains').addColumn('verification_lost_at', 'timestamptz').execute();

  await db.schema
    .createTable('daily_job_runs')
    .addColumn('job', 'text', (col) => col.notNull())
    .addColumn('run_on', 'date', (col) => col.notNull())
    .addColumn('started_at', 'timestamptz', now)
    .addPrimaryKeyConstraint('daily_job_runs__job_run_on', ['job', 'run_on'])
    .execute();

  await db.schema
    .createTable('certificate_expiry_notices')
    .addColumn('connection_id', 'text', (col) => col.notNull().references('federation_connections.id').onDelete('cascade'))
    .addColumn('certificate_sha256', 'text', (col) => col.notNull())
    .addColumn('threshold_days', 'integer', (col) => col.notNull())
    .addColumn('sent_at', 'timestamptz', now)
    .addPrimaryKeyConstraint('certificate_expiry_notices__connection_certificate_threshold', ['connection_id', 'certificate_sha256', 'threshold_days'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('certificate_expiry_notices').execute();
  await db.schema.dropTable('daily_job_runs').execute();
  await db.schema.alterTable('organization_domains').dropColumn('verification_lost_at').execute();
  await db.schema.alterTable('organizations').dropColumn('sso_break_glass_account_id').execute();
  await db.schema.alterTable('federation_connections').dropColumn('tested_at').dropColumn('test_claims').execute();
}
