import type { Kysely } from 'kysely';

// Frozen once merged: later changes go into new migrations.
// The back-channel logout queue on the shared leased claims (LeasedQueue), like outgoing_mails: the
// instance finishing a delivery writes only while it still holds the claim.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('logout_deliveries').addColumn('lease_token', 'uuid').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('logout_deliveries').dropColumn('lease_token').execute();
}
