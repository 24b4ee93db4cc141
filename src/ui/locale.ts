import type { Context, Next } from 'koa';
import { defaultLocale, type Locale, pickLocale } from './i18n.ts';

export const localeCookie = 'lang';
const oneYearMs = 365 * 24 * 3600 * 1000;

declare module 'koa' {
  interface DefaultState {
    locale: Locale;
  }
}

function acceptLanguage(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const quality = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? 1,
      );
      return { tag, quality: Number.isNaN(quality) ? 0 : quality };
    })
    .filter((entry) => entry.tag && entry.quality > 0)
    .sort((a, b) => b.quality - a.quality)
    .map((entry) => entry.tag);
}

/**
 * Chooses the page language: a language picked with the switcher (`?lang=`, remembered in a
 * cookie), then the remembered choice, then Accept-Language. Interaction pages also weigh the
 * client's ui_locales with `localeFor`.
 */
export async function localeMiddleware(ctx: Context, next: Next): Promise<void> {
  const switched = typeof ctx.query.lang === 'string' ? pickLocale([ctx.query.lang]) : undefined;
  if (switched) {
    ctx.cookies.set(localeCookie, switched, { maxAge: oneYearMs, httpOnly: true, sameSite: 'lax', overwrite: true });
  }
  ctx.state.locale = switched ?? localeFor(ctx);
  await next();
}

/**
 * The person's own choice (switcher, then the remembered switch) comes before the app's
 * ui_locales hint: someone who switched to French must not be sent back to English by the next
 * step of the same sign-in (Keycloak orders its cookie before ui_locales for the same reason).
 */
export function localeFor(ctx: Context, uiLocales?: unknown): Locale {
  const remembered = ctx.cookies.get(localeCookie);
  const switched = typeof ctx.query.lang === 'string' ? ctx.query.lang : undefined;
  const requested = typeof uiLocales === 'string' ? uiLocales.split(' ') : [];
  return (
    pickLocale(switched ? [switched] : []) ??
    pickLocale(remembered ? [remembered] : []) ??
    pickLocale(requested) ??
    pickLocale(acceptLanguage(ctx.get('accept-language'))) ??
    defaultLocale
  );
}
