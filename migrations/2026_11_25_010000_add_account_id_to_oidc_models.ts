import { type Kysely, sql } from 'kysely';

// Frozen once merged: later changes go into new migrations.
// The account a Session, Grant or token belongs to, pulled out of the payload so that everything
// of one account can be revoked with an indexed query (after a password reset, for instance).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oidc_models').addColumn('account_id', 'text').execute();
  await sql`update oidc_models set account_id = payload->>'accountId' where payload ? 'accountId'`.execute(db);
  await db.schema.createIndex('oidc_models__model_account_id').on('oidc_models').columns(['model', 'account_id']).where('account_id', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('oidc_models__model_account_id').execute();
  await db.schema.alterTable('oidc_models').dropColumn('account_id').execute();
}
