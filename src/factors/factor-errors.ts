import type { ErrorCode } from '../http/error-codes.ts';
import { AppError } from '../http/errors.ts';

/** A code or passkey that did not confirm: one answer whatever the reason (wrong, used, expired). */
export class FactorRejectedError extends AppError {
  constructor(code: ErrorCode = 'factors.code_invalid') {
    super(code, 400);
  }
}
