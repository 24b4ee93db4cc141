import Tokens from 'csrf';
import type { Context, Next } from 'koa';
import { AppError } from './errors.ts';

declare module 'koa' {
  interface DefaultState {
    csrfToken: string;
  }
}

const tokens = new Tokens();
const secretCookie = 'csrf_secret';
const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF protection for our own forms (oidc-provider protects its endpoints itself): a secret in a
 * signed, HttpOnly cookie and a token derived from it in every form (`_csrf`). Must run after the
 * body parser. renderPage passes `csrfToken` to every template.
 */
export async function csrfProtection(ctx: Context, next: Next): Promise<void> {
  let secret = ctx.cookies.get(secretCookie, { signed: true });
  if (!secret) {
    secret = tokens.secretSync();
    ctx.cookies.set(secretCookie, secret, { httpOnly: true, sameSite: 'lax', signed: true, overwrite: true, secure: ctx.secure });
  }
  if (unsafeMethods.has(ctx.method)) {
    const submitted = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
    if (typeof submitted !== 'string' || !tokens.verify(secret, submitted)) throw new AppError('http.csrf_failed', 403);
  }
  ctx.state.csrfToken = tokens.create(secret);
  await next();
}
