/**
 * Authentication levels an app can ask for with acr_values, weakest to strongest, and how the
 * methods used (RFC 8176 amr values) reach them.
 */
export const acrValues = ['urn:signin:acr:password', 'urn:signin:acr:mfa', 'urn:signin:acr:phishing-resistant'] as const;
export type AcrValue = (typeof acrValues)[number];
export type AssuranceLevel = 1 | 2 | 3;

/** RFC 8176: pwd password, otp one-time code, hwk/swk key held in hardware/software, user verified by the authenticator, mfa several factors, fed upstream IdP. */
export type Amr = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'mfa' | 'fed';

const keyAmr = ['hwk', 'swk'];
/** Factors that are known (pwd), possessed (otp, key) or inherent to the person (user); a sign-in upstream (fed) is one factor. */
const factorAmr = ['pwd', 'fed', 'otp', 'hwk', 'swk', 'user'];

export function acrOfLevel(level: AssuranceLevel): AcrValue {
  return acrValues[level - 1]!;
}

export function levelOfAcr(acr: string | undefined): AssuranceLevel | undefined {
  const index = acrValues.indexOf(acr as AcrValue);
  return index < 0 ? undefined : ((index + 1) as AssuranceLevel);
}

/** Two distinct factors make mfa; a key (passkey) among them makes it phishing-resistant. */
export function levelOfAmr(amr: readonly string[]): AssuranceLevel {
  const factors = new Set(amr.filter((value) => factorAmr.includes(value)));
  const multiFactor = amr.includes('mfa') || factors.size >= 2;
  if (!multiFactor) return 1;
  return amr.some((value) => keyAmr.includes(value)) ? 3 : 2;
}

/** The amr of a sign-in: the methods used, plus mfa when they make two factors. */
export function withMfa(amr: readonly string[]): Amr[] {
  const unique = [...new Set(amr.filter((value) => value !== 'mfa'))] as Amr[];
  return levelOfAmr(amr) >= 2 ? [...unique, 'mfa'] : unique;
}

/** The lowest level among an app's acr_values (space-separated, as requested): what it can accept. */
export function requestedLevel(acrValuesParam: unknown): AssuranceLevel | undefined {
  if (typeof acrValuesParam !== 'string' || !acrValuesParam.trim()) return undefined;
  const levels = acrValuesParam
    .split(/\s+/)
    .map(levelOfAcr)
    .filter((level): level is AssuranceLevel => level !== undefined);
  return levels.length ? (Math.min(...levels) as AssuranceLevel) : undefined;
}
