import type { ErrorCode } from '../http/error-codes.ts';
import { AppError } from '../http/errors.ts';

/**
 * A sign-in at an upstream that did not succeed. The code selects the explanation shown on the
 * failure page (federation.cancelled, federation.upstream_unreachable, federation.saml_expired...).
 */
export class FederationError extends AppError {
  /** The connection the attempt went through, when known: the failure page offers to try it again. */
  connectionId: string | undefined;

  constructor(code: ErrorCode, options: { status?: number; message?: string; cause?: unknown } = {}) {
    super(code, options.status ?? 400, { message: options.message ?? code, cause: options.cause, expose: true });
  }
}

/** The person cancelled at the upstream's page: a choice, not a failure (the sign-in page just says so). */
export class SignInCancelledError extends FederationError {
  constructor(options: { message?: string } = {}) {
    super('federation.cancelled', options);
  }
}

/**
 * The status of a failure page: an upstream unreachable, or at an address refused, is a bad
 * gateway; anything else the answer's fault.
 */
export function failureStatus(code: ErrorCode): number {
  return code === 'federation.upstream_unreachable' || code === 'federation.upstream_refused' ? 502 : 400;
}
