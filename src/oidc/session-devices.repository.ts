import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { deviceHash } from '../factors/device-check.service.ts';

export interface SessionDevice {
  sessionUid: string;
  deviceHash: string | null;
  userAgent: string;
}

/** The browser each oidc-provider Session was signed in from (device cookie hash, user agent), for My account. */
export class SessionDeviceRepository {
  /** A sign-in resumed into this session from this browser (a session changing accounts takes the new one). */
  async record(db: Db, sessionUid: string, accountId: string, deviceToken: string | undefined, userAgent: string): Promise<void> {
    const row = {
      account_id: accountId,
      device_hash: deviceToken ? deviceHash(deviceToken) : null,
      user_agent: userAgent.slice(0, 512),
      signed_in_at: new Date(),
    };
    await db
      .insertInto('session_devices')
      .values({ session_uid: sessionUid, ...row })
      .onConflict((oc) => oc.column('session_uid').doUpdateSet(row))
      .execute();
  }

  async listOfAccount(db: Db, accountId: string): Promise<SessionDevice[]> {
    return db
      .selectFrom('session_devices')
      .select(['session_uid as sessionUid', 'device_hash as deviceHash', 'user_agent as userAgent'])
      .where('account_id', '=', accountId)
      .execute();
  }

  /** Rows of sessions that ended (signed out, revoked or expired), on the purge timer. */
  async purgeEnded(db: Db): Promise<void> {
    await db
      .deleteFrom('session_devices')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('oidc_models')
              .select(sql`1`.as('one'))
              .where('model', '=', 'Session')
              .whereRef('oidc_models.uid', '=', 'session_devices.session_uid')
              .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)])),
          ),
        ),
      )
      .execute();
  }
}
