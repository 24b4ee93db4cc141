import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Context, Next } from 'koa';
import type { Config } from '../config.ts';
import { pickLocale } from '../ui/i18n.ts';
import { renderTemplate } from '../ui/views.ts';
import type { ErrorCode } from './error-codes.ts';
import { AppError } from './errors.ts';

export type HttpLimits = Config['http'];

/** SAML responses are posted by the browser as large forms: the federation URLs accept at least this much. */
const federationBodyBytes = 512 * 1024;

/**
 * Node's own HTTP server options against slow or oversized clients. Node enforces the header and
 * request timeouts on a periodic sweep (30 s by default): checking twice per shortest timeout keeps
 * them near what is configured.
 */
export function httpServerOptions(limits: HttpLimits): ServerOptions {
  const shortestMs = Math.min(limits.headersTimeoutSeconds, limits.requestTimeoutSeconds) * 1000;
  return { ...timeoutSettings(limits), maxHeaderSize: limits.maxHeaderBytes, connectionsCheckingInterval: Math.max(100, Math.floor(shortestMs / 2)) };
}

function timeoutSettings(limits: HttpLimits) {
  return {
    headersTimeout: limits.headersTimeoutSeconds * 1000,
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
  };
}

const clientErrors: Record<string, { status: number; reason: string; code: ErrorCode }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'http.headers_too_large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'http.request_timeout' },
};

/** What a request the parser refused asked for, read from the bytes received so far (there is no ctx). */
function requestedFormat(rawPacket: Buffer | undefined) {
  const head = rawPacket?.toString('latin1') ?? '';
  const header = (name: string) => new RegExp(`^${name}:\\s*([^\\r\\n]*)`, 'im').exec(head)?.[1] ?? '';
  const accept = header('accept');
  return {
    json: accept.includes('json') && !accept.includes('html'),
    locale: pickLocale(header('accept-language').split(',')) ?? 'en',
  };
}

/**
 * Answers what Node refuses before our app sees a request (headers too large, a client too slow
 * to send its request, a malformed request) with a short page or JSON instead of a bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
  const responseStarted = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (error.code === 'ECONNRESET' || !socket.writable || responseStarted) {
    socket.destroy();
    return;
  }
  const { status, reason, code } = clientErrors[error.code ?? ''] ?? { status: 400, reason: 'Bad Request', code: 'http.bad_request' };
  const { json, locale } = requestedFormat(error.rawPacket);
  const body = json
    ? JSON.stringify({ error: code })
    : renderTemplate('errors/error', { messageKey: `error.${code}`, titleKey: 'error.title', code, canSwitchLanguage: false }, locale);
  const type = json ? 'application/json' : 'text/html; charset=utf-8';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Applies the limits to a server (also one created elsewhere, already listening: tests pass theirs). */
export function applyHttpLimits(server: Server, limits: HttpLimits): void {
  Object.assign(server, timeoutSettings(limits), { maxHeaderSize: limits.maxHeaderBytes });
  server.on('clientError', answerClientError);
}

/** Refuses a declared body over the limit before anything reads it (413); parsers enforce it on chunked bodies. */
export function requestBodyLimit(limits: HttpLimits) {
  return async function requestBodyLimitMiddleware(ctx: Context, next: Next): Promise<void> {
    const limit = ctx.path.startsWith('/federation/') ? Math.max(limits.maxBodyBytes, federationBodyBytes) : limits.maxBodyBytes;
    const declared = ctx.request.length;
    if (declared !== undefined && declared > limit) {
      // The body is not read: closing the connection stops the client sending it.
      ctx.set('Connection', 'close');
      throw new AppError('http.payload_too_large', 413);
    }
    await next();
  };
}
