import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import { isLocale, type Locale } from '../ui/i18n.ts';
import { type ComposedMail, composeMail, type MailTemplate } from './mail-composer.ts';
import type { OutgoingMailRepository } from './outgoing-mail.repository.ts';

export interface MailRequest {
  to: string;
  template: MailTemplate;
  locale: Locale;
  data: Record<string, unknown>;
}

/**
 * Where features drop mail: rendered now (the links in it exist only in memory), encrypted, and
 * queued in the database. Sending happens later in MailSender, so a request never waits for SMTP
 * and an SMTP failure never changes what the user is told.
 */
export class MailOutbox {
  readonly #db: Db;
  readonly #mails: OutgoingMailRepository;
  readonly #secretBox: SecretBox;
  readonly #listeners = new Set<() => void>();

  constructor(db: Db, mails: OutgoingMailRepository, secretBox: SecretBox) {
    this.#db = db;
    this.#mails = mails;
    this.#secretBox = secretBox;
  }

  async enqueue({ to, template, locale, data }: MailRequest): Promise<void> {
    const content = composeMail(template, locale, data);
    await this.#mails.insert(this.#db, { recipient: to, template, locale, content_encrypted: await this.#secretBox.seal(JSON.stringify(content)) });
    for (const listener of this.#listeners) listener();
  }

  async open(contentEncrypted: string): Promise<ComposedMail> {
    return JSON.parse(await this.#secretBox.open(contentEncrypted)) as ComposedMail;
  }

  /** The sender of this process subscribes to start at once instead of at its next poll. */
  onQueued(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Mail goes out in the account's language when it has one, else in the language of the page used. */
export function recipientLocale(account: { locale: string | null } | undefined, fallback: Locale): Locale {
  return isLocale(account?.locale) ? account.locale : fallback;
}
