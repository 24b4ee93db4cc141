import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import { DatabaseUnavailableError, describeDatabaseError, retryAfterSeconds } from '../db/database-unavailable.ts';
import type { Logger } from '../log.ts';
import { hasMessage, translator } from '../ui/i18n.ts';
import { renderPage } from '../ui/views.ts';
import type { ErrorCode } from './error-codes.ts';
import { AppError } from './errors.ts';

declare module 'koa' {
  interface DefaultState {
    /** Set by routes that know how the person can recover (a link on, the app's name): passed to the error page. */
    errorPage?: Record<string, unknown>;
    /** Set by an API whose standard fixes its error bodies (SCIM): shapes the JSON error from what describe() found. */
    errorBody?: (error: DescribedError) => { type: string; body: unknown };
  }
}

/** An error as described for the response: status, stable code, its English message, and the error itself. */
export interface DescribedError {
  status: number;
  code: string;
  message: string;
  error: unknown;
}

interface ErrorResponse {
  status: number;
  /** Ours, or an OAuth error of oidc-provider (its own `error` names, shown with the generic OAuth message). */
  code: ErrorCode | `oauth.${string}`;
  expose: boolean;
  params?: Record<string, string | number>;
  headers?: Record<string, string>;
}

/** Maps any thrown error to a stable code and status; the one place where errors become responses. */
function describe(error: unknown): ErrorResponse {
  if (error instanceof AppError) return { status: error.status, code: error.code, expose: error.expose, params: error.params, headers: error.headers };
  if (error instanceof DatabaseUnavailableError) return { status: 503, code: 'service.unavailable', expose: true, headers: retryAfter };
  if (error instanceof oidcErrors.SessionNotFound) return { status: 400, code: 'interaction.expired', expose: true };
  if (error instanceof oidcErrors.OIDCProviderError) return { status: error.statusCode, code: `oauth.${error.error}`, expose: true };
  const status = (error as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: status === 404 ? 'http.not_found' : 'http.bad_request', expose: true };
  }
  return { status: 500, code: 'http.internal_error', expose: false };
}

const retryAfter = { 'Retry-After': String(retryAfterSeconds) };

function wantsJson(ctx: Context): boolean {
  return ctx.state.jsonErrors === true || ctx.accepts('html', 'json') === 'json';
}

export function errorHandler(logger: Logger) {
  return async function errorHandlerMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError('http.not_found', 404);
      // oidc-provider answers a database outage on its endpoints itself (temporarily_unavailable).
      if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set(retryAfter);
    } catch (error) {
      const { status, code, expose, params, headers } = describe(error);
      if (headers) ctx.set(headers);
      if (error instanceof DatabaseUnavailableError) {
        logger.warn({ err: describeDatabaseError(error), requestId: ctx.state.requestId }, 'database unavailable: answered 503');
      } else if (status >= 500) logger.error({ err: error, requestId: ctx.state.requestId }, 'unhandled error');
      const messageKey = expose && hasMessage(`error.${code}`) ? `error.${code}` : `error.http.${status >= 500 ? 'internal_error' : 'bad_request'}`;
      if (ctx.state.errorBody) {
        const shaped = ctx.state.errorBody({ status, code, message: translator('en')(messageKey, params), error });
        ctx.status = status;
        ctx.type = shaped.type;
        ctx.body = shaped.body;
        return;
      }
      if (wantsJson(ctx)) {
        ctx.status = status;
        ctx.body = { error: code, request_id: ctx.state.requestId };
        return;
      }
      const titleKey = hasMessage(`${messageKey}.title`) ? `${messageKey}.title` : 'error.title';
      renderPage(
        ctx,
        'errors/error',
        { ...ctx.state.errorPage, messageKey, messageParams: params, titleKey, code, requestId: ctx.state.requestId },
        { status },
      );
    }
  };
}
