import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes, isErrorCode } from '../src/http/error-codes.ts';

const localesDir = path.resolve(import.meta.dirname, '..', 'views', 'locales');

function messagesOf(locale: string): Record<string, string> {
  const dir = path.join(localesDir, locale);
  return Object.assign({}, ...readdirSync(dir).map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'))));
}

describe('error codes', () => {
  it.each(['en', 'fr'])('every code has a message in %s', (locale) => {
    const messages = messagesOf(locale);
    const missing = errorCodes.filter((code) => !messages[`error.${code}`]?.trim());
    expect(missing).toEqual([]);
  });

  it('lists each code once, sorted, so that parallel additions rarely touch the same line', () => {
    expect([...errorCodes]).toEqual([...new Set(errorCodes)].sort());
  });

  it('recognizes only listed codes coming back from outside', () => {
    expect(isErrorCode('federation.upstream_unreachable')).toBe(true);
    expect(isErrorCode('federation.made_up')).toBe(false);
    expect(isErrorCode(['federation.cancelled'])).toBe(false);
  });
});
