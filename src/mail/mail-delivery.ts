import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { ComposedMail } from './mail-composer.ts';

export type MailDelivery = (to: string, mail: ComposedMail) => Promise<void>;

/**
 * SMTP through nodemailer when SMTP_URL is set. Without it (never in production: the configuration
 * refuses that), mail is only written to the log and kept for the /dev/mail outbox page.
 */
export function createMailDelivery(config: Config, logger: Logger): MailDelivery {
  if (!config.smtpUrl) {
    return async (to, mail) => {
      logger.info({ mail: { to, subject: mail.subject, text: mail.text } }, 'mail not sent (no SMTP_URL): see /dev/mail');
    };
  }
  const transport = nodemailer.createTransport({ url: config.smtpUrl, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 });
  return async (to, mail) => {
    await transport.sendMail({ from: config.mailFrom, to, subject: mail.subject, text: mail.text, html: mail.html });
  };
}
