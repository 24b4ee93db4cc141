import type { Kysely } from 'kysely';

// Frozen once merged: later changes go into new migrations.
// A claimed mail carries the token of its claim (LeasedQueue): the instance finishing it writes only
// while it still holds the claim, so a claim taken over after its lease ran out is never overwritten.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outgoing_mails').addColumn('lease_token', 'uuid').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outgoing_mails').dropColumn('lease_token').execute();
}
