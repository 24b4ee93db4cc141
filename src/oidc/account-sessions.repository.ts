import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** Which sessions of an account an operation covers: all of them, one, or all but one (this browser's). */
export type SessionScope = { sessions: 'all' } | { sessions: 'only'; uid: string } | { sessions: 'except'; uid: string };

/** One oidc-provider Session of an account: one browser signed in. */
export interface AccountSession {
  uid: string;
  signedInAt: Date;
  /** The apps signed in through it (oidc-provider's authorizations), each with its grant. */
  apps: Array<{ clientId: string; sid: string | null; grantId: string | null }>;
}

type Authorizations = Record<string, { sid?: string; grantId?: string }>;

function sessionOf(uid: string, payload: Record<string, unknown>): AccountSession {
  const authorizations = (payload.authorizations ?? {}) as Authorizations;
  return {
    uid,
    signedInAt: new Date(Number(payload.loginTs ?? 0) * 1000),
    apps: Object.entries(authorizations).map(([clientId, { sid, grantId }]) => ({ clientId, sid: sid ?? null, grantId: grantId ?? null })),
  };
}

const grantIdsOf = (session: AccountSession | undefined) => session?.apps.flatMap((app) => (app.grantId ? [app.grantId] : [])) ?? [];

/**
 * What oidc-provider stores for an account, found through the account_id column the adapter fills
 * from payload.accountId. Revoking deletes Sessions and, as the adapter's revokeByGrantId does,
 * every row of each of their Grants (codes, access and refresh tokens).
 */
export class AccountSessionsRepository {
  /** The account's live sessions, newest sign-in first. */
  async sessionsOfAccount(db: Db, accountId: string): Promise<AccountSession[]> {
    const rows = await db
      .selectFrom('oidc_models')
      .select(['uid', 'payload'])
      .where('model', '=', 'Session')
      .where('account_id', '=', accountId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .execute();
    return rows
      .filter((row): row is { uid: string; payload: Record<string, unknown> } => row.uid !== null)
      .map((row) => sessionOf(row.uid, row.payload))
      .sort((a, b) => b.signedInAt.getTime() - a.signedInAt.getTime());
  }

  /**
   * Every app of the sessions in scope: one entry per session and app, with that session's sid for
   * the app, and one without sid for an app known from a grant outside every session (offline
   * access) unless the scope keeps that grant (one session: only its own grants go).
   */
  async appsOfAccount(db: Db, accountId: string, scope: SessionScope = { sessions: 'all' }): Promise<Array<{ clientId: string; sid: string | null }>> {
    const { inScope, grants } = await this.#scoped(db, accountId, scope);
    const apps = inScope.flatMap((session) => session.apps.map(({ clientId, sid }) => ({ clientId, sid })));
    for (const { clientId } of grants.outsideSessions) if (!apps.some((app) => app.clientId === clientId)) apps.push({ clientId, sid: null });
    return apps;
  }

  /** Ends the sessions in scope, with their grants and everything issued under them (and, unless one session is meant, the grants outside every session). */
  async revoke(db: Db, accountId: string, scope: SessionScope = { sessions: 'all' }): Promise<void> {
    const { inScope, grants } = await this.#scoped(db, accountId, scope);
    const grantIds = [...inScope.flatMap(grantIdsOf), ...grants.outsideSessions.map((grant) => grant.id)];
    if (grantIds.length) {
      await db.deleteFrom('oidc_models').where('grant_id', 'in', grantIds).execute();
      await db.deleteFrom('oidc_models').where('model', '=', 'Grant').where('account_id', '=', accountId).where('id', 'in', grantIds).execute();
    }
    const uids = inScope.map((session) => session.uid);
    if (uids.length) await db.deleteFrom('oidc_models').where('model', '=', 'Session').where('account_id', '=', accountId).where('uid', 'in', uids).execute();
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

  /** The sessions a scope covers, and the account's grants that no session of the account holds (offline access outliving its session). */
  async #scoped(db: Db, accountId: string, scope: SessionScope) {
    const rows = await db
      .selectFrom('oidc_models')
      .select(['model', 'id', 'uid', 'payload'])
      .where('model', 'in', ['Session', 'Grant'])
      .where('account_id', '=', accountId)
      .execute();
    const sessions = rows.flatMap((row) => (row.model === 'Session' && row.uid ? [sessionOf(row.uid, row.payload)] : []));
    const inScope = sessions.filter((session) => {
      if (scope.sessions === 'all') return true;
      return scope.sessions === 'only' ? session.uid === scope.uid : session.uid !== scope.uid;
    });
    const held = new Set(sessions.flatMap(grantIdsOf));
    const outsideSessions =
      scope.sessions === 'only'
        ? []
        : rows.flatMap((row) => (row.model === 'Grant' && !held.has(row.id) ? [{ id: row.id, clientId: String(row.payload.clientId ?? '') }] : []));
    return { inScope, grants: { outsideSessions } };
  }
}
