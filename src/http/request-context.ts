import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../log.ts';

declare module 'koa' {
  interface DefaultState {
    requestId: string;
  }
}

const acceptableRequestId = /^[\w.-]{8,128}$/;

/** Gives every request an id (the caller's X-Request-Id when sane) and logs one line when it ends. */
export function requestContext(logger: Logger) {
  // The line's fields are fixed and carry no secret: skipping the logger's redaction pass makes it
  // about three times cheaper, which the token endpoint pays on every request.
  const requestLog = logger.child({}, { redact: [] });
  return async function requestContextMiddleware(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get('x-request-id');
    const requestId = acceptableRequestId.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      // The path only: query strings carry codes, states and hints.
      requestLog.info({ requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/** Where a request came from, as the audit log records it. */
export function requestOrigin(ctx: Context): { ip: string; userAgent: string | undefined; requestId: string } {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, requestId: ctx.state.requestId };
}
