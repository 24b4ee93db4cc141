import type { ErrorCode } from '../http/error-codes.ts';
import type { DescribedError } from '../http/error-handler.ts';
import { AppError } from '../http/errors.ts';

export const scimErrorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const scimContentType = 'application/scim+json; charset=utf-8';

/** RFC 7644 section 3.12's detail error keywords. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** An error of the SCIM protocol itself, with the scimType the IdP reads. */
export class ScimError extends AppError {
  readonly scimType: ScimType | undefined;

  constructor(code: ErrorCode, status: number, scimType?: ScimType, detail?: string) {
    super(code, status, detail ? { message: detail } : {});
    this.scimType = scimType;
  }
}

export const invalidFilter = (detail?: string) => new ScimError('scim.invalid_filter', 400, 'invalidFilter', detail);
export const invalidValue = (detail?: string) => new ScimError('scim.invalid_value', 400, 'invalidValue', detail);
export const scimNotFound = () => new ScimError('scim.not_found', 404);

/** Errors of the shared services that have a SCIM keyword of their own. */
const scimTypes: Partial<Record<string, ScimType>> = {
  'http.bad_request': 'invalidSyntax',
  'admin.email_outside_domains': 'invalidValue',
  'admin.last_owner': 'mutability',
};

/** The RFC 7644 error body (`status` as a string), for the error handler. */
export function scimErrorBody({ status, code, message, error }: DescribedError): { type: string; body: unknown } {
  const scimType = error instanceof ScimError ? error.scimType : scimTypes[code];
  const detail = error instanceof ScimError && error.message !== error.code ? `${message} ${error.message}` : message;
  return { type: scimContentType, body: { schemas: [scimErrorSchema], status: String(status), ...(scimType ? { scimType } : {}), detail } };
}
