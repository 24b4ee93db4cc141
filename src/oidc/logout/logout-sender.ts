import type Provider from 'oidc-provider';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import { recordOutcome } from '../../db/leased-queue.ts';
import type { LogoutDeliveryRow } from '../../db/schema.ts';
import type { Logger } from '../../log.ts';
import { retryDelaySeconds } from '../../mail/mail-sender.ts';
import type { LogoutDeliveryRepository } from './logout-delivery.repository.ts';
import { signLogoutToken } from './logout-token.ts';

const batchSize = 20;
const purgeEveryMs = 10 * 60_000;

export interface LogoutSenderDependencies {
  db: Db;
  deliveries: LogoutDeliveryRepository;
  /** The current provider: tokens are signed with the keys it publishes now. */
  provider: () => Provider;
  settings: Config['backchannelLogout'];
  logger: Logger;
}

/**
 * Background delivery of back-channel logout tokens, in every instance: every poll interval it
 * claims due notices, signs a token for each and POSTs it to the app. An app that answers anything
 * but 2xx, or nothing within the timeout, is tried again with backoff until the notice's give-up
 * time, then the notice is kept as failed and logged as an error.
 */
export class LogoutSender {
  readonly #deps: LogoutSenderDependencies;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #interruptPause: (() => void) | undefined;
  #lastPurge = 0;

  constructor(deps: LogoutSenderDependencies) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#interruptPause?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#sendDue();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#deps.settings.pollIntervalSeconds * 1000);
        this.#interruptPause = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #sendDue(): Promise<void> {
    const { db, deliveries, logger } = this.#deps;
    try {
      let claimed: LogoutDeliveryRow[];
      do {
        const { token, rows } = await deliveries.claimDue(batchSize);
        claimed = rows;
        await deliveries.holdClaim(token, logger, () => Promise.all(rows.map((delivery) => this.#deliver(delivery, token))));
      } while (claimed.length === batchSize && !this.#stopped);
      if (Date.now() - this.#lastPurge > purgeEveryMs) {
        this.#lastPurge = Date.now();
        await deliveries.purgeOld(db);
      }
    } catch (error) {
      logger.error({ err: error }, 'back-channel logout queue unavailable');
    }
  }

  async #deliver(delivery: LogoutDeliveryRow, token: string): Promise<void> {
    const { db, deliveries, provider, settings, logger } = this.#deps;
    const about = { deliveryId: delivery.id, clientId: delivery.client_id, reason: delivery.reason, attempts: delivery.attempts };
    // The POST is done by then: a short outage must not lose its outcome (and send it again).
    const record = <T>(write: () => Promise<T>) => recordOutcome(write, deliveries.leaseSeconds);
    const signed = await signLogoutToken(provider(), delivery);
    if (!signed) {
      logger.warn(about, 'back-channel logout dropped: the app has no back-channel logout URI any more');
      await record(() => deliveries.markFailed(db, delivery.id, token, 'no backchannel_logout_uri'));
      return;
    }
    try {
      const response = await fetch(signed.uri, {
        method: 'POST',
        body: new URLSearchParams({ logout_token: signed.token }),
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.requestTimeoutSeconds * 1000),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the app answered ${response.status}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const delay = retryDelaySeconds(delivery.attempts, settings.retryBaseSeconds);
      if (await record(() => deliveries.retryOrGiveUp(db, delivery.id, token, delay, reason))) {
        logger.warn({ ...about, retryInSeconds: Math.round(delay), err: error }, 'back-channel logout not delivered: will retry');
      } else {
        logger.error({ ...about, err: error }, 'back-channel logout undeliverable: giving up');
      }
      return;
    }
    await record(() => deliveries.markDelivered(db, delivery.id, token));
    logger.info(about, 'back-channel logout delivered');
  }
}
