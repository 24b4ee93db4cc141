import type { Db } from '../db/database.ts';

/** The admin API's resource indicator: access tokens for it are JWTs with this audience. */
export const adminApiResource = (issuer: string) => `${issuer}/admin/api`;
export const adminApiScope = 'admin';

/** Registers the admin API as a resource server (once; every instance may try at start). */
export async function ensureAdminApiResource(db: Db, issuer: string): Promise<void> {
  await db
    .insertInto('resource_servers')
    .values({ identifier: adminApiResource(issuer), name: 'Admin API', scopes: [adminApiScope], signing_alg: 'ES256', access_token_ttl_seconds: 600 })
    .onConflict((oc) => oc.column('identifier').doNothing())
    .execute();
}
