import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
// Mail waits here until a sender (any instance, rows claimed with SKIP LOCKED) delivers it; failed
// attempts are retried with backoff. The rendered message is encrypted: it may hold a live link.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outgoing_mails')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('recipient', 'text', (col) => col.notNull())
    .addColumn('template', 'text', (col) => col.notNull())
    .addColumn('locale', 'text', (col) => col.notNull())
    .addColumn('content_encrypted', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('outgoing_mails__next_attempt_at')
    .on('outgoing_mails')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.createIndex('outgoing_mails__created_at').on('outgoing_mails').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outgoing_mails').execute();
}
