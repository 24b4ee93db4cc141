import type { Db } from '../db/database.ts';
import type { MailTemplate } from '../mail/mail-composer.ts';
import { type MailOutbox, recipientLocale } from '../mail/mail-outbox.ts';
import { organizationOwnerEmails } from './organization-admin.repository.ts';

/** Mails every owner of an organization, each in their language: what its setup needs from them. */
export type OwnerMailer = (organizationId: string, template: MailTemplate, data: Record<string, string | number>) => Promise<void>;

export function ownerMailer(db: Db, outbox: Pick<MailOutbox, 'enqueue'>): OwnerMailer {
  return async (organizationId, template, data) => {
    for (const owner of await organizationOwnerEmails(db, organizationId)) {
      await outbox.enqueue({ to: owner.email, template, locale: recipientLocale(owner, 'en'), data });
    }
  };
}
