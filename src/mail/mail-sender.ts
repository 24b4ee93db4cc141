import type { Db } from '../db/database.ts';
import { recordOutcome } from '../db/leased-queue.ts';
import type { OutgoingMailRow } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import type { MailDelivery } from './mail-delivery.ts';
import type { MailOutbox } from './mail-outbox.ts';
import type { OutgoingMailRepository } from './outgoing-mail.repository.ts';

export interface MailSenderSettings {
  pollIntervalSeconds: number;
  retryBaseSeconds: number;
  maxAttempts: number;
}

const batchSize = 10;
const maxRetryDelaySeconds = 3600;
const purgeEveryMs = 10 * 60_000;

/** Exponential backoff with jitter: retryBase, 2×, 4×… capped at an hour. */
export function retryDelaySeconds(attempts: number, retryBaseSeconds: number): number {
  const exponential = Math.min(maxRetryDelaySeconds, retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
  return exponential * (0.8 + Math.random() * 0.4);
}

/**
 * Background delivery of queued mail, in every instance: polls the queue, and starts at once when
 * this process queues something. A failure is logged and retried later; after maxAttempts the mail
 * is marked failed and logged as an error.
 */
export class MailSender {
  readonly #db: Db;
  readonly #mails: OutgoingMailRepository;
  readonly #outbox: MailOutbox;
  readonly #deliver: MailDelivery;
  readonly #settings: MailSenderSettings;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #unsubscribe: (() => void) | undefined;
  #lastPurge = 0;

  constructor(db: Db, mails: OutgoingMailRepository, outbox: MailOutbox, deliver: MailDelivery, settings: MailSenderSettings, logger: Logger) {
    this.#db = db;
    this.#mails = mails;
    this.#outbox = outbox;
    this.#deliver = deliver;
    this.#settings = settings;
    this.#logger = logger;
  }

  start(): void {
    this.#stopped = false;
    this.#unsubscribe = this.#outbox.onQueued(() => this.wake());
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#stopped) return;
      if (this.#again) {
        this.#again = false;
        this.wake();
        return;
      }
      this.#timer = setTimeout(() => this.wake(), this.#settings.pollIntervalSeconds * 1000);
      this.#timer.unref();
    });
  }

  async #pass(): Promise<void> {
    try {
      for (;;) {
        const { token, rows: due } = await this.#mails.claimDue(batchSize);
        const sent = await this.#mails.holdClaim(token, this.#logger, () => Promise.allSettled(due.map((mail) => this.#send(mail, token))));
        const failure = sent.find((outcome) => outcome.status === 'rejected');
        if (failure) throw failure.reason;
        if (due.length < batchSize || this.#stopped) break;
      }
      if (Date.now() - this.#lastPurge > purgeEveryMs) {
        this.#lastPurge = Date.now();
        await this.#mails.purgeOld(this.#db);
      }
    } catch (error) {
      this.#logger.error({ err: error }, 'mail queue unavailable');
    }
  }

  async #send({ id, recipient, content_encrypted, attempts }: OutgoingMailRow, token: string): Promise<void> {
    // Once SMTP has the mail, recording it as sent must survive a short outage, or it goes out twice.
    const record = (write: () => Promise<void>) => recordOutcome(write, this.#mails.leaseSeconds);
    try {
      await this.#deliver(recipient, await this.#outbox.open(content_encrypted));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (attempts >= this.#settings.maxAttempts) {
        this.#logger.error({ mailId: id, attempts, err: error }, 'mail undeliverable: giving up');
        await record(() => this.#mails.markFailed(this.#db, id, token, reason));
        return;
      }
      const delay = retryDelaySeconds(attempts, this.#settings.retryBaseSeconds);
      this.#logger.warn({ mailId: id, attempts, retryInSeconds: Math.round(delay), err: error }, 'mail not sent: will retry');
      await record(() => this.#mails.scheduleRetry(this.#db, id, token, delay, reason));
      return;
    }
    await record(() => this.#mails.markSent(this.#db, id, token)).catch((error: unknown) => {
      this.#logger.error({ mailId: id, err: error }, 'mail sent but not recorded: it may be sent again');
      throw error;
    });
    this.#logger.info({ mailId: id, attempts }, 'mail sent');
  }
}
