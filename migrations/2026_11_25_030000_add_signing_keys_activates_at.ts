import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
// A rotated key generation is published before it signs, so that every instance (and every
// relying party refreshing the JWKS) knows the new keys before the first token carries them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('signing_keys')
    .addColumn('activates_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('signing_keys').dropColumn('activates_at').execute();
}
