import { AppError } from '../http/errors.ts';

/**
 * A sign-in at an upstream that did not succeed. The code selects the explanation shown on the
 * failure page (federation.cancelled, federation.upstream_unreachable, federation.saml_expired...).
 */
export class FederationError extends AppError {
  /** The connection the attempt went through, when known: the failure page offers to try it again. */
  connectionId: string | undefined;

  constructor(code: string, options: { status?: number; message?: string; cause?: unknown } = {}) {
    super(code, options.status ?? 400, { message: options.message ?? code, cause: options.cause, expose: true });
  }
}
