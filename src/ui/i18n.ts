import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const supportedLocales = ['en', 'fr'] as const;
export type Locale = (typeof supportedLocales)[number];
export const defaultLocale: Locale = 'en';

type Messages = Record<string, string>;

const localesDir = path.resolve(import.meta.dirname, '..', '..', 'views', 'locales');

/** Each feature keeps its messages in its own file: views/locales/<locale>/<feature>.json. */
function loadCatalog(locale: Locale): Messages {
  const dir = path.join(localesDir, locale);
  return Object.assign(
    {},
    ...readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Messages),
  );
}

const catalogs = Object.fromEntries(supportedLocales.map((locale) => [locale, loadCatalog(locale)])) as Record<Locale, Messages>;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (supportedLocales as readonly string[]).includes(value);
}

/** The first supported language of a list such as ui_locales ("fr-CA en") or Accept-Language. */
export function pickLocale(candidates: Iterable<string>): Locale | undefined {
  for (const candidate of candidates) {
    const language = candidate.trim().toLowerCase().split(/[-_;]/)[0];
    if (isLocale(language)) return language;
  }
  return undefined;
}

export type Translate = (key: string, params?: Record<string, string | number>) => string;

/** Looks a message up by key (English when French lacks it, the key itself when both do). */
export function translator(locale: Locale): Translate {
  return (key, params = {}) => {
    const template = catalogs[locale][key] ?? catalogs[defaultLocale][key] ?? key;
    return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
  };
}

export function hasMessage(key: string): boolean {
  return key in catalogs[defaultLocale];
}
