import type { Db } from '../../db/database.ts';
import type { DeviceCheckService } from '../../factors/device-check.service.ts';
import type { AccountSessionsRepository, SessionScope } from '../account-sessions.repository.ts';
import type { ClientRepository } from '../client.repository.ts';
import type { LogoutDeliveryRepository, LogoutNotice } from './logout-delivery.repository.ts';

export interface SignOutDependencies {
  sessions: AccountSessionsRepository;
  clients: ClientRepository;
  deliveries: LogoutDeliveryRepository;
  /** Trusted browsers ask for the factor (or the mailed code) again once every session has ended. */
  deviceTrust: Pick<DeviceCheckService, 'revokeAll'>;
  /** How long an app that does not answer is tried (backchannelLogout.giveUpAfterSeconds). */
  giveUpAfterSeconds: number;
}

/**
 * Signing out and telling the apps (OpenID Connect Back-Channel Logout 1.0). Notices are queued in
 * the transaction of the sign-out and sent later by LogoutSender: the person never waits for an app.
 */
export class SignOutService {
  readonly #deps: SignOutDependencies;

  constructor(deps: SignOutDependencies) {
    this.#deps = deps;
  }

  /**
   * Ends every session of the account, revokes its grants with their codes, access and refresh
   * tokens, and queues a logout token for each app of the account that takes them (per session,
   * with its sid; apps known from a grant only get one without sid, unless they require it), and
   * ends the trust of every device of the account. `reason` (password_change, password_reset,
   * user_request, ...) is logged with each delivery.
   */
  async signOutEverywhere(trx: Db, accountId: string, reason: string): Promise<void> {
    await this.#signOut(trx, accountId, { sessions: 'all' }, reason);
    await this.#deps.deviceTrust.revokeAll(trx, accountId);
  }

  /** Ends one session of the account (a browser removed on My account) with its grants and tokens; its apps are told. */
  async signOutSession(trx: Db, accountId: string, sessionUid: string, reason: string): Promise<void> {
    await this.#signOut(trx, accountId, { sessions: 'only', uid: sessionUid }, reason);
  }

  /** Every session but `keepSessionUid` (this browser's) ends, as in signOutEverywhere, with every grant it does not hold. */
  async signOutOtherSessions(trx: Db, accountId: string, keepSessionUid: string, reason: string): Promise<void> {
    await this.#signOut(trx, accountId, { sessions: 'except', uid: keepSessionUid }, reason);
  }

  async #signOut(trx: Db, accountId: string, scope: SessionScope, reason: string): Promise<void> {
    const { sessions, clients, deliveries, giveUpAfterSeconds } = this.#deps;
    const apps = await sessions.appsOfAccount(trx, accountId, scope);
    const receivers = await clients.backchannelLogoutReceivers(trx, [...new Set(apps.map((app) => app.clientId))]);
    const notices = apps
      .filter((app) => {
        const receiver = receivers.get(app.clientId);
        return receiver && (app.sid !== null || !receiver.sessionRequired);
      })
      .map((app): LogoutNotice => ({ clientId: app.clientId, subject: accountId, sid: app.sid, reason }));
    await sessions.revoke(trx, accountId, scope);
    await deliveries.enqueue(trx, notices, giveUpAfterSeconds);
  }

  /** One app of a session that ended through RP-initiated logout (oidc-provider decides which apps). */
  async sessionEnded(db: Db, notice: Omit<LogoutNotice, 'reason'>): Promise<void> {
    await this.#deps.deliveries.enqueue(db, [{ ...notice, reason: 'logout' }], this.#deps.giveUpAfterSeconds);
  }
}
