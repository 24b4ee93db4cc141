import type { ErrorCode } from './error-codes.ts';

/**
 * Errors the application raises on purpose. `code` is stable (it selects the translated message),
 * `status` the HTTP status, `expose` whether the message may be shown as is.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  /** Values for the translated message ("try again in {minutes} minutes"). */
  readonly params: Record<string, string | number>;
  /** Response headers that go with the error (Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    status: number,
    options: { message?: string; expose?: boolean; cause?: unknown; params?: Record<string, string | number>; headers?: Record<string, string> } = {},
  ) {
    super(options.message ?? code, { cause: options.cause });
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.params = options.params ?? {};
    this.headers = options.headers ?? {};
  }
}

export class NotFoundError extends AppError {
  constructor(code: ErrorCode = 'http.not_found') {
    super(code, 404);
  }
}

export class BadRequestError extends AppError {
  constructor(code: ErrorCode = 'http.bad_request') {
    super(code, 400);
  }
}

export class ConflictError extends AppError {
  constructor(code: ErrorCode) {
    super(code, 409);
  }
}
