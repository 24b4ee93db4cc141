import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ScimTokenRow } from '../db/schema.ts';

/** SCIM bearer tokens, by the SHA-256 of the token; every listing names its organization. */
export class ScimTokenRepository {
  insert(trx: Db, token: { organizationId: string; tokenHash: string; expiresAt: Date }): Promise<ScimTokenRow> {
    return trx
      .insertInto('scim_tokens')
      .values({ organization_id: token.organizationId, token_hash: token.tokenHash, expires_at: token.expiresAt })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The token with that hash while it is neither expired nor revoked; marks it used. */
  async useValid(db: Db, tokenHash: string): Promise<ScimTokenRow | undefined> {
    return db
      .updateTable('scim_tokens')
      .set({ last_used_at: sql`now()` })
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returningAll()
      .executeTakeFirst();
  }

  list(db: Db, organizationId: string): Promise<ScimTokenRow[]> {
    return db.selectFrom('scim_tokens').selectAll().where('organization_id', '=', organizationId).orderBy('created_at', 'desc').execute();
  }

  /** Revokes one of the organization's tokens; false when it has none with that id. */
  async revoke(trx: Db, organizationId: string, tokenId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(tokenId)) return false;
    const result = await trx
      .updateTable('scim_tokens')
      .set({ revoked_at: sql`coalesce(revoked_at, now())` })
      .where('organization_id', '=', organizationId)
      .where('id', '=', tokenId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
