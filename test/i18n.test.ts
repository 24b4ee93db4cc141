import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pickLocale, translator } from '../src/ui/i18n.ts';

const localesDir = path.resolve(import.meta.dirname, '..', 'views', 'locales');
const keysOf = (locale: string) =>
  readdirSync(path.join(localesDir, locale)).flatMap((file) => Object.keys(JSON.parse(readFileSync(path.join(localesDir, locale, file), 'utf8'))));

describe('translations', () => {
  it('has every English message in French too, and nothing French-only', () => {
    expect(new Set(keysOf('fr'))).toEqual(new Set(keysOf('en')));
  });

  it('picks the first supported language of a list and fills in parameters', () => {
    expect(pickLocale(['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(pickLocale(['de'])).toBeUndefined();
    expect(translator('fr')('login.subtitle', { client: 'Admin' })).toBe('pour continuer vers Admin');
  });
});
