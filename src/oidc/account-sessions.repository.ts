import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * What oidc-provider stores for an account, found through the account_id column the adapter fills
 * from payload.accountId. Revoking deletes the account's Sessions and, as the adapter's
 * revokeByGrantId does, every row of each of its Grants (codes, access and refresh tokens).
 */
export class AccountSessionsRepository {
  /**
   * Every app the account is signed in to or has a grant for: one entry per browser session and
   * app, with that session's sid for the app, and one without sid for an app known from a grant
   * only (offline access).
   */
  async appsOfAccount(db: Db, accountId: string): Promise<Array<{ clientId: string; sid: string | null }>> {
    const rows = await db
      .selectFrom('oidc_models')
      .select(['model', 'payload'])
      .where('model', 'in', ['Session', 'Grant'])
      .where('account_id', '=', accountId)
      .execute();
    const apps = rows.flatMap(({ model, payload }) =>
      model === 'Session'
        ? Object.entries((payload.authorizations ?? {}) as Record<string, { sid?: string }>).map(([clientId, { sid }]) => ({ clientId, sid: sid ?? null }))
        : [],
    );
    for (const { model, payload } of rows) {
      const clientId = payload.clientId as string | undefined;
      if (model === 'Grant' && clientId && !apps.some((app) => app.clientId === clientId)) apps.push({ clientId, sid: null });
    }
    return apps;
  }

  async revokeAll(db: Db, accountId: string): Promise<void> {
    const grants = db.selectFrom('oidc_models').select('id').where('model', '=', 'Grant').where('account_id', '=', accountId);
    await db.deleteFrom('oidc_models').where('grant_id', 'in', grants).execute();
    await db.deleteFrom('oidc_models').where('model', 'in', ['Session', 'Grant']).where('account_id', '=', accountId).execute();
  }

  /** Revokes the account's Grants for one app and everything issued under them; its sessions stay. */
  async revokeClient(db: Db, accountId: string, clientId: string): Promise<void> {
    const grants = db
      .selectFrom('oidc_models')
      .select('id')
      .where('model', '=', 'Grant')
      .where('account_id', '=', accountId)
      .where(sql<string>`payload->>'clientId'`, '=', clientId);
    await db.deleteFrom('oidc_models').where('grant_id', 'in', grants).execute();
    await db
      .deleteFrom('oidc_models')
      .where('model', '=', 'Grant')
      .where('account_id', '=', accountId)
      .where(sql<string>`payload->>'clientId'`, '=', clientId)
      .execute();
  }
}
