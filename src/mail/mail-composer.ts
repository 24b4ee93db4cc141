import path from 'node:path';
import { Eta } from 'eta';
import { type Locale, supportedLocales, translator } from '../ui/i18n.ts';
import { renderTemplate } from '../ui/views.ts';

/** Plain-text bodies: nothing to HTML-escape, and the blank lines between paragraphs kept as written. */
const textTemplates = new Eta({ views: path.resolve(import.meta.dirname, '..', '..', 'views'), cache: true, autoEscape: false, autoTrim: false });

export const mailTemplates = [
  'verify-email',
  'account-exists',
  'finish-signup',
  'invitation',
  'password-reset',
  'password-reset-unknown',
  'password-changed',
  'social-confirm-email',
  'factor-added',
  'factor-removed',
  'new-device-code',
  'new-device-sign-in',
  'domain-verification-lost',
  'certificate-expiring',
] as const;
export type MailTemplate = (typeof mailTemplates)[number];

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

/** Renders views/mail/<template>.text.eta and .html.eta in the recipient's language. */
export function composeMail(template: MailTemplate, locale: Locale, data: Record<string, unknown>): ComposedMail {
  const params = Object.fromEntries(
    Object.entries(data).filter((entry): entry is [string, string | number] => typeof entry[1] === 'string' || typeof entry[1] === 'number'),
  );
  return {
    subject: translator(locale)(`mail.${template}.subject`, params),
    text: `${textTemplates.render(`mail/${template}.text.eta`, { ...data, t: translator(locale), locale, locales: supportedLocales }).trim()}\n`,
    html: renderTemplate(`mail/${template}.html.eta`, data, locale),
  };
}
