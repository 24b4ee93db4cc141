import type { Db } from '../../db/database.ts';
import type { DeviceCheckService } from '../../factors/device-check.service.ts';
import { deviceLabel } from '../../factors/device-label.ts';
import { accountClientId } from '../../oidc/account-client.ts';
import type { AccountSessionsRepository } from '../../oidc/account-sessions.repository.ts';
import type { ClientRepository } from '../../oidc/client.repository.ts';
import type { SignOutService } from '../../oidc/logout/sign-out.service.ts';
import type { SessionDeviceRepository } from '../../oidc/session-devices.repository.ts';

/** One browser signed in to the account. */
export interface SessionSummary {
  uid: string;
  signedInAt: Date;
  /** From the user agent of the sign-in; undefined for a session signed in before browsers were recorded. */
  device: string | undefined;
  /** The apps signed in through it; My account itself is `account: true`. */
  apps: Array<{ name: string; account: boolean }>;
  /** This browser's session. */
  current: boolean;
}

export interface TrustedDeviceSummary {
  id: string;
  device: string;
  lastUsedAt: Date;
  trustedUntil: Date;
  current: boolean;
}

export interface AccountSessionsDependencies {
  db: Db;
  sessions: Pick<AccountSessionsRepository, 'sessionsOfAccount'>;
  sessionDevices: Pick<SessionDeviceRepository, 'listOfAccount'>;
  clients: Pick<ClientRepository, 'names'>;
  devices: Pick<DeviceCheckService, 'trustedDevices' | 'isDevice' | 'forget' | 'endTrustOfOthers'>;
  signOut: Pick<SignOutService, 'signOutSession' | 'signOutOtherSessions'>;
}

/** "Devices and sessions" on My account: where the account is signed in and which browsers skip the factor. */
export class AccountSessionsService {
  readonly #deps: AccountSessionsDependencies;

  constructor(deps: AccountSessionsDependencies) {
    this.#deps = deps;
  }

  /** This browser's session (`currentSessionUid`) first, then the newest sign-in first. */
  async sessions(accountId: string, currentSessionUid: string | undefined): Promise<SessionSummary[]> {
    const { db, sessions, sessionDevices, clients } = this.#deps;
    const [live, devices] = await Promise.all([sessions.sessionsOfAccount(db, accountId), sessionDevices.listOfAccount(db, accountId)]);
    const names = await clients.names([...new Set(live.flatMap((session) => session.apps.map((app) => app.clientId)))]);
    const ordered = [...live.filter((session) => session.uid === currentSessionUid), ...live.filter((session) => session.uid !== currentSessionUid)];
    return ordered.map((session) => {
      const device = devices.find((candidate) => candidate.sessionUid === session.uid);
      return {
        uid: session.uid,
        signedInAt: session.signedInAt,
        device: device && deviceLabel(device.userAgent),
        apps: session.apps.map(({ clientId }) => ({ name: names.get(clientId) ?? clientId, account: clientId === accountClientId })),
        current: session.uid === currentSessionUid,
      };
    });
  }

  async trustedDevices(accountId: string, deviceToken: string | undefined): Promise<TrustedDeviceSummary[]> {
    const { devices } = this.#deps;
    return (await devices.trustedDevices(accountId)).map((row) => ({
      id: row.id,
      device: deviceLabel(row.user_agent),
      lastUsedAt: row.last_seen_at,
      trustedUntil: row.trusted_until!,
      current: devices.isDevice(row, deviceToken),
    }));
  }

  /** Ends one session: its grants and tokens are revoked and its apps told (back-channel logout). */
  async removeSession(accountId: string, sessionUid: string): Promise<void> {
    const { db, signOut } = this.#deps;
    await db.transaction().execute((trx) => signOut.signOutSession(trx, accountId, sessionUid, 'session_removed'));
  }

  /** Every session but this browser's ends (their apps told), and no other browser stays trusted. */
  async signOutOthers(accountId: string, currentSessionUid: string, deviceToken: string | undefined): Promise<void> {
    const { db, signOut, devices } = this.#deps;
    await db.transaction().execute(async (trx) => {
      await signOut.signOutOtherSessions(trx, accountId, currentSessionUid, 'other_sessions_signed_out');
      await devices.endTrustOfOthers(trx, accountId, deviceToken);
    });
  }

  /** The browser is forgotten: its next sign-in is a new device's (factor or mailed code, and a notice). */
  async removeTrustedDevice(accountId: string, deviceId: string): Promise<boolean> {
    return this.#deps.devices.forget(this.#deps.db, accountId, deviceId);
  }
}
