import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { normalizeEmail } from '../accounts/email.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { rateLimitStore } from './rate-limit-store.ts';

export interface LimitRule {
  points: number;
  durationSeconds: number;
}

/** Shown as a page saying when to try again, with Retry-After; never says whether the account exists. */
export class TooManyAttemptsError extends AppError {
  constructor(retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super('abuse.too_many_attempts', 429, { params: { minutes: Math.ceil(seconds / 60) }, headers: { 'Retry-After': String(seconds) } });
  }
}

/** What a counter is keyed by: the caller's IP, the email typed, or both. */
type Scope = 'ip' | 'email' | 'emailAndIp';

interface Counter {
  scope: Scope;
  limiter: RateLimiterPostgres;
}

const tableName = 'rate_limits';

function keyFor(scope: Scope, email: string, ip: string): string {
  const parts = { ip: [ip], email: [normalizeEmail(email)], emailAndIp: [normalizeEmail(email), ip] }[scope];
  // Hashed: fixed length for the key column, and no email addresses at rest in the counters.
  return createHash('sha256').update(parts.join('\n')).digest('base64url');
}

/**
 * Counts attempts of one action in PostgreSQL (rate-limiter-flexible's RateLimiterPostgres), so that
 * limits hold across instances. Windows are fixed and short: an attacker is slowed down, the real
 * user waits a few minutes at worst and is never locked out for good. The counters key on the email
 * as typed, whether or not an account has it, so limits reveal nothing about accounts.
 */
export class AttemptLimiter {
  readonly #counters: Counter[];

  constructor(db: Db, action: string, rules: Partial<Record<Scope, LimitRule>>) {
    const storeClient = rateLimitStore(db);
    this.#counters = Object.entries(rules).map(([scope, rule]) => ({
      scope: scope as Scope,
      limiter: new RateLimiterPostgres({
        storeClient,
        storeType: 'pool',
        tableName,
        tableCreated: true,
        keyPrefix: `${action}:${scope}`,
        points: rule.points,
        duration: rule.durationSeconds,
      }),
    }));
  }

  /** Counts one attempt on every counter; throws TooManyAttemptsError when one is over its limit. */
  async consume(email: string, ip: string): Promise<void> {
    const outcomes = await Promise.allSettled(this.#counters.map(({ scope, limiter }) => limiter.consume(keyFor(scope, email, ip))));
    let retryAfterMs = 0;
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') continue;
      if (!(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
      retryAfterMs = Math.max(retryAfterMs, outcome.reason.msBeforeNext);
    }
    if (retryAfterMs > 0) throw new TooManyAttemptsError(retryAfterMs / 1000);
  }

  /**
   * Runs a credential check as one counted attempt. A success gives the attempt back (the user's
   * own email-and-IP counter is cleared), so only failures add up.
   */
  async attempt<T>(email: string, ip: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.consume(email, ip);
    const result = await check();
    if (result !== undefined) {
      await Promise.all(
        this.#counters.map(({ scope, limiter }) => (scope === 'ip' ? limiter.reward(keyFor(scope, email, ip), 1) : limiter.delete(keyFor(scope, email, ip)))),
      );
    }
    return result;
  }
}

/** The limits of the actions worth guessing or spamming: password attempts, reset requests, sign-ups. */
export function createAttemptLimiters(db: Db, rules: Config['rateLimits']) {
  return {
    loginLimiter: new AttemptLimiter(db, 'login', { emailAndIp: rules.login.perAccountAndIp, ip: rules.login.perIp }),
    forgotPasswordLimiter: new AttemptLimiter(db, 'forgot_password', { email: rules.forgotPassword.perEmail, ip: rules.forgotPassword.perIp }),
    signUpLimiter: new AttemptLimiter(db, 'sign_up', { email: rules.signUp.perEmail, ip: rules.signUp.perIp }),
  };
}
