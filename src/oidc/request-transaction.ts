import type { Context, Next } from 'koa';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../db/database-unavailable.ts';
import type { TransactionScope } from '../db/transaction-scope.ts';

/** /auth/:uid, where oidc-provider resumes an authorization once the sign-in pages are done. */
const authorizationResume = /^\/auth\/[^/]+$/;
/** /reg and /reg/:clientId: dynamic client registration (RFC 7591, 7592). */
const registration = /^\/reg(\/[^/]+)?$/;

/**
 * The provider requests that write several things are each one transaction, so that a database
 * failure half-way leaves everything as it was and the same request can simply be made again:
 * - POST /token: a refresh consumes the old refresh token, saves its successor and the access
 *   token, or nothing; a code exchange likewise;
 * - GET /auth/:uid: the resume consumes the interaction, saves the session, grant and code;
 * - POST, PUT and DELETE /reg: the client and its registration access token change together.
 * oidc-provider answers its own failures (500 server_error, 503 temporarily_unavailable) without
 * throwing, so a 5xx answer rolls back; its 400s commit, since reuse detection revokes a grant on
 * purpose. A rolled-back answer sets no cookie either: the resume clears its cookie before it saves
 * the session, and a browser that lost it could not make the same request again.
 */
export function providerRequestTransaction(transactions: TransactionScope) {
  return async function providerRequestTransactionMiddleware(ctx: Context, next: Next): Promise<void> {
    const token = ctx.method === 'POST' && ctx.path === '/token';
    const registrationWrite = ctx.method !== 'GET' && registration.test(ctx.path);
    if (!token && !registrationWrite && !(ctx.method === 'GET' && authorizationResume.test(ctx.path))) return next();
    const cookiesBefore = ctx.response.get('Set-Cookie');
    const forgetCookiesSet = () => (cookiesBefore ? ctx.set('Set-Cookie', cookiesBefore) : ctx.remove('Set-Cookie'));
    try {
      await transactions.run(next, () => ctx.status < 500);
      if (ctx.status >= 500) forgetCookiesSet();
    } catch (error) {
      forgetCookiesSet();
      // Pages are rendered by the error handler; the token and registration endpoints answer in OAuth's terms.
      if (!(token || registrationWrite) || !isDatabaseUnavailable(error)) throw error;
      // The database went away at BEGIN or COMMIT: the tokens in the body were never saved.
      const unavailable = new DatabaseUnavailableError(error);
      ctx.status = unavailable.statusCode;
      ctx.body = { error: unavailable.error, error_description: unavailable.error_description };
    }
  };
}
