import type { Context, Next } from 'koa';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../db/database-unavailable.ts';
import type { TransactionScope } from '../db/transaction-scope.ts';

/**
 * Each request to the token endpoint is one transaction: a refresh consumes the old refresh token,
 * saves its successor and the access token, or leaves everything as it was. oidc-provider answers
 * its own failures (500 server_error, 503 temporarily_unavailable) without throwing, so a 5xx
 * answer rolls back; its 400s commit, since reuse detection revokes a grant on purpose.
 */
export function tokenRequestTransaction(transactions: TransactionScope) {
  return async function tokenRequestTransactionMiddleware(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'POST' || ctx.path !== '/token') return next();
    try {
      await transactions.run(next, () => ctx.status < 500);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      // The database went away at BEGIN or COMMIT: the tokens in the body were never saved.
      const unavailable = new DatabaseUnavailableError(error);
      ctx.status = unavailable.statusCode;
      ctx.body = { error: unavailable.error, error_description: unavailable.error_description };
    }
  };
}
