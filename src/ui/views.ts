import path from 'node:path';
import { Eta } from 'eta';
import type { Context } from 'koa';
import { type Locale, supportedLocales, translator } from './i18n.ts';

const viewsDir = path.resolve(import.meta.dirname, '..', '..', 'views');
const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true });

export interface PageOptions {
  status?: number;
  locale?: Locale;
}

/** Renders a page in the request's language; pages are never cached (they carry per-user state). */
export function renderPage(ctx: Context, template: string, data: Record<string, unknown> = {}, options: PageOptions = {}): void {
  const locale = options.locale ?? ctx.state.locale ?? 'en';
  const t = translator(locale);
  // A page rendered in answer to a POST names its GET address (pageUrl) so its language links still work.
  const pageUrl = typeof data.pageUrl === 'string' ? data.pageUrl : undefined;
  const switchUrl = (lang: string) => {
    const url = new URL(pageUrl ?? ctx.originalUrl, 'http://placeholder');
    url.searchParams.set('lang', lang);
    return `${url.pathname}${url.search}`;
  };
  ctx.status = options.status ?? 200;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = eta.render(template, {
    csrfToken: ctx.state.csrfToken,
    ...data,
    t,
    locale,
    locales: supportedLocales,
    switchUrl,
    canSwitchLanguage: ctx.method === 'GET' || pageUrl !== undefined,
  });
}

/** Renders a template to a string (mail bodies, oidc-provider's own page hooks). */
export function renderTemplate(template: string, data: Record<string, unknown>, locale: Locale): string {
  return eta.render(template, { ...data, t: translator(locale), locale, locales: supportedLocales });
}
