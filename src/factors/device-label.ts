import Bowser from 'bowser';

/** What a person recognises a browser by, from its user agent ("Firefox · Linux"); the raw string, cut short, when it names neither. */
export function deviceLabel(userAgent: string): string {
  const { browser, os } = Bowser.parse(userAgent);
  const parts = [browser.name, os.name].filter((part): part is string => Boolean(part));
  return parts.length ? parts.join(' · ') : userAgent.slice(0, 60) || '?';
}
