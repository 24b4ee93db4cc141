/** What a client should wait before trying again while the database is away (a restart takes seconds). */
export const retryAfterSeconds = 5;

/**
 * The database cannot be reached (refused, reset, restarting, timed out): the request cannot be
 * served now but can be retried. The error handler answers it 503 with Retry-After, as a page or as
 * JSON. The fields are those oidc-provider reads from its own errors, so that its endpoints answer the
 * OAuth error `temporarily_unavailable` (503) instead of a 500 `server_error`.
 */
export class DatabaseUnavailableError extends Error {
  readonly status = 503;
  readonly statusCode = 503;
  readonly expose = true;
  readonly error = 'temporarily_unavailable';
  readonly error_description = 'the service is temporarily unavailable, try again shortly';

  constructor(cause: unknown) {
    super('temporarily_unavailable', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * SQLSTATE classes and codes meaning "not now": 08 connection exceptions, 57P01-57P03 shutdown and
 * startup, 53300 too many connections, 57014 a statement cancelled by statement_timeout.
 */
const unavailableSqlStates = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const unavailableSystemCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** pg reports these without a code. */
const unavailableMessages = [/^Connection terminated/, /timeout exceeded when trying to connect/, /Query read timeout/, /not queryable/];

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (unavailableSqlStates.has(code) || code.startsWith('08') || unavailableSystemCodes.has(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return unavailableMessages.some((pattern) => pattern.test(error.message));
}

/** The error to throw in its place: DatabaseUnavailableError when the database is away, else the error itself. */
export function unavailableOr(error: unknown): unknown {
  return !(error instanceof DatabaseUnavailableError) && isDatabaseUnavailable(error) ? new DatabaseUnavailableError(error) : error;
}

/** For log lines: the code and message of a driver error, never its query parameters. */
export function describeDatabaseError(error: unknown): { code?: string; message: string } {
  const cause = error instanceof DatabaseUnavailableError ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return { ...(typeof code === 'string' ? { code } : {}), message: cause instanceof Error ? cause.message : String(cause) };
}

/** A failure's message for a one-line report (startup, CLI): an outage says what the driver met. */
export function failureMessage(error: unknown): string {
  return error instanceof DatabaseUnavailableError ? `database unavailable: ${describeDatabaseError(error).message}` : (error as Error).message;
}
