import type { Kysely } from 'kysely';

// Frozen once merged: later changes go into new migrations.
const socialConnections = [
  { id: 'social-google', name: 'Google' },
  { id: 'social-microsoft', name: 'Microsoft' },
  { id: 'social-linkedin', name: 'LinkedIn' },
  { id: 'social-facebook', name: 'Facebook' },
];

/**
 * Social providers are set up by configuration, not stored; these rows only give their linked
 * identities (federated_identities.connection_id) something to reference. Type `social` has no
 * factory, so the rows themselves never load as connections.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db
    .insertInto('federation_connections')
    .values(
      socialConnections.map((connection) => ({ ...connection, organization_id: null, type: 'social', settings: JSON.stringify({}), secrets_encrypted: null })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db
    .deleteFrom('federation_connections')
    .where(
      'id',
      'in',
      socialConnections.map((connection) => connection.id),
    )
    .execute();
}
