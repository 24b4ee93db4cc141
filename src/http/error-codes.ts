/**
 * Every error code the application raises, one a line, sorted. Each has a message `error.<code>`
 * in English and French (views/locales/{en,fr}/*.json; test/error-codes.test.ts checks it).
 * Adding a code: one line here and its two messages.
 */
export const errorCodes = [
  'abuse.too_many_attempts',
  'account.cannot_unlink',
  'account.current_password_wrong',
  'account.email_taken',
  'account.last_sign_in_method',
  'account.link_expired',
  'account.no_password',
  'factors.code_invalid',
  'factors.last_factor_required',
  'factors.no_second_factor',
  'factors.passkey_not_recognised',
  'federation.account_missing',
  'federation.cancelled',
  'federation.connection_not_found',
  'federation.email_in_use',
  'federation.email_missing',
  'federation.email_outside_domains',
  'federation.email_unverified',
  'federation.identity_conflict',
  'federation.identity_linked_elsewhere',
  'federation.link_raced',
  'federation.oidc_invalid_response',
  'federation.provider_already_linked',
  'federation.saml_expired',
  'federation.saml_invalid_response',
  'federation.saml_invalid_signature',
  'federation.saml_metadata_invalid',
  'federation.saml_metadata_unreachable',
  'federation.saml_replayed',
  'federation.saml_unknown_request',
  'federation.saml_unsigned',
  'federation.saml_unsolicited',
  'federation.saml_wrong_audience',
  'federation.saml_wrong_destination',
  'federation.saml_wrong_issuer',
  'federation.saml_wrong_recipient',
  'federation.state_expired',
  'federation.state_invalid',
  'federation.upstream_error',
  'federation.upstream_unreachable',
  'http.bad_request',
  'http.csrf_failed',
  'http.headers_too_large',
  'http.internal_error',
  'http.not_found',
  'http.payload_too_large',
  'http.request_timeout',
  'interaction.expired',
  'interaction.wrong_step',
  'link.invalid',
  'oidc.registration_invalid',
  'orgs.ambiguous_name',
  'orgs.dns_unreachable',
  'orgs.domain_not_claimed',
  'orgs.domain_record_missing',
  'orgs.domain_taken',
  'orgs.not_found',
  'password.common',
  'password.personal',
  'password.too_long',
  'password.too_short',
  'service.unavailable',
  'session.invalid_credentials',
  'session.sso_required',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

const known: ReadonlySet<string> = new Set(errorCodes);

/** For codes that come back from outside (a failure page's query): only a known code is used. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && known.has(value);
}
