import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { type SocialAddress, type SocialProviderSettings, socialEnvName } from './social-providers/social-provider-settings.ts';
import { type SocialClient, type SocialProviderName, socialProviders, socialVariables } from './social-providers/social-providers.ts';

const projectRoot = path.resolve(import.meta.dirname, '..');

const secret = z.string().min(32, 'must be at least 32 characters');
const seconds = z.coerce.number().int().positive();
/** Fractions allowed: tests poll and retry mail within a fraction of a second. */
const fractionalSeconds = z.coerce.number().positive();
const rateLimitRule = z.object({ points: z.coerce.number().int().min(1), durationSeconds: seconds });

/**
 * A social provider's client: enabled only with both a client id and a secret (one without the
 * other is a mistake worth stopping for), with each of its upstream addresses (its default unless
 * overridden).
 */
function socialClient(provider: SocialProviderSettings) {
  const addresses = Object.fromEntries(Object.keys(provider.addresses).map((key) => [key, z.url().optional()]));
  return z
    .object({ clientId: z.string().min(1).optional(), clientSecret: z.string().min(1).optional(), ...addresses })
    .superRefine((client, ctx) => {
      if (Boolean(client.clientId) === Boolean(client.clientSecret)) return;
      const [missing, present] = client.clientId ? ['clientSecret', 'clientId'] : ['clientId', 'clientSecret'];
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required when ${socialEnvName(provider.name, present)} is set` });
    })
    .transform(({ clientId, clientSecret, ...overrides }) => {
      if (!clientId || !clientSecret) return undefined;
      const defaults = Object.fromEntries(Object.entries<SocialAddress>(provider.addresses).map(([key, address]) => [key, address.default]));
      return {
        ...defaults,
        ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)),
        clientId,
        clientSecret,
      } as SocialClient;
    })
    .optional();
}

/** The enabled social providers' clients, by provider name (social-providers/). */
export type SocialClients = Partial<Record<SocialProviderName, SocialClient>>;

const socialSchema = z
  .object(Object.fromEntries(socialProviders.map((provider) => [provider.name, socialClient(provider as SocialProviderSettings)])))
  .default({}) as unknown as z.ZodType<SocialClients, Record<string, unknown> | undefined>;

const configSchema = z
  .object({
    env: z.enum(['development', 'test', 'production']),
    issuer: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/$/, '')),
    port: z.coerce.number().int().min(0).max(65535),
    databaseUrl: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    dataDir: z.string().min(1),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    bcryptCost: z.coerce.number().int().min(4).max(15),
    cookieSecrets: z.array(secret).min(1),
    keyEncryptionSecret: secret,
    /** Former key-encryption secrets: they still decrypt (never encrypt) until `secrets reencrypt` has run. */
    keyEncryptionSecretPrevious: z.array(secret).default([]),
    /** HMAC keys pre-hashing passwords before bcrypt: the first peppers new hashes, the others still verify (rotation). */
    passwordPeppers: z.array(secret).min(1),
    // Behind a TLS-terminating load balancer: trust X-Forwarded-Proto/-For/-Host.
    trustProxy: z.union([z.boolean(), z.stringbool()]),
    ttl: z.object({
      accessTokenSeconds: seconds,
      idTokenSeconds: seconds,
      authorizationCodeSeconds: seconds,
      refreshTokenSeconds: seconds,
      clientCredentialsSeconds: seconds,
      interactionSeconds: seconds,
      sessionSeconds: seconds,
      grantSeconds: seconds,
    }),
    keyRefreshSeconds: seconds,
    /** Automatic signing-key rotation once the newest keys are this many days old (0: only `keys rotate`). */
    keyRotationDays: z.coerce.number().min(0).max(3650),
    /** After `clients rotate-secret`, how long an app's previous secret is still accepted (0: not at all). */
    clientSecretGraceDays: z.coerce.number().int().min(0).max(365),
    auditRetentionDays: z.coerce.number().int().min(1).max(36500),
    purge: z.object({ intervalSeconds: seconds, batchSize: z.coerce.number().int().min(1).max(100_000) }),
    /** DNS servers (host or host:port) for domain verification; empty: the system's resolvers. */
    dnsServers: z.array(z.string().min(1)).default([]),
    /** Upstream URLs (IdP metadata, OIDC issuers) may use http and reach loopback/private addresses; unset: outside production only. */
    allowInsecureUpstreams: z.union([z.boolean(), z.stringbool()]).optional(),
    /** Unset outside production: mail goes to the log and to the /dev/mail outbox page. */
    smtpUrl: z.url({ protocol: /^smtps?$/ }).optional(),
    mailFrom: z.string().trim().min(3),
    mail: z.object({
      pollIntervalSeconds: fractionalSeconds,
      retryBaseSeconds: fractionalSeconds,
      maxAttempts: z.coerce.number().int().min(1).max(50),
      /** How long a claim on a mail lasts without renewal: the longest a dead instance delays it. */
      leaseSeconds: fractionalSeconds,
    }),
    /** Back-channel logout deliveries: queue poll, retry backoff, one request's timeout, and when to give up. */
    backchannelLogout: z.object({
      pollIntervalSeconds: fractionalSeconds,
      retryBaseSeconds: fractionalSeconds,
      // Below the sender's 30-second lease on a delivery being sent.
      requestTimeoutSeconds: fractionalSeconds.max(20),
      giveUpAfterSeconds: seconds,
    }),
    links: z.object({ emailVerificationSeconds: seconds, invitationSeconds: seconds, passwordResetSeconds: seconds }),
    rateLimits: z.object({
      login: z.object({ perAccountAndIp: rateLimitRule, perIp: rateLimitRule }),
      forgotPassword: z.object({ perEmail: rateLimitRule, perIp: rateLimitRule }),
      signUp: z.object({ perEmail: rateLimitRule, perIp: rateLimitRule }),
      // Wrong second-factor codes (authenticator, recovery, mailed device code), across all flows.
      factor: z.object({ perAccount: rateLimitRule, perIp: rateLimitRule }),
    }),
    social: socialSchema,
    // A sign-in from a browser the account never used, by an account without a second factor, confirms a mailed code.
    newDeviceCheck: z.union([z.boolean(), z.stringbool()]),
    /** The Prometheus endpoint's own port; unset: no metrics endpoint. */
    metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
    /** Worker processes sharing the port (src/cluster.ts); unset: every available core in production, 1 elsewhere. */
    webConcurrency: z.coerce.number().int().min(1).max(256).optional(),
    /** Against slow and oversized clients (src/http/http-limits.ts). */
    http: z.object({
      requestTimeoutSeconds: fractionalSeconds,
      headersTimeoutSeconds: fractionalSeconds,
      keepAliveTimeoutSeconds: fractionalSeconds,
      maxHeaderBytes: z.coerce.number().int().min(4096).max(1_048_576),
      maxBodyBytes: z.coerce.number().int().min(1024).max(10_485_760),
    }),
  })
  .superRefine((config, ctx) => {
    if (config.metricsPort !== undefined && config.metricsPort !== 0 && config.metricsPort === config.port) {
      ctx.addIssue({ code: 'custom', path: ['metricsPort'], message: 'must differ from PORT (metrics are never served on the public port)' });
    }
    if (config.http.headersTimeoutSeconds > config.http.requestTimeoutSeconds) {
      ctx.addIssue({ code: 'custom', path: ['http', 'headersTimeoutSeconds'], message: 'must not be longer than HTTP_REQUEST_TIMEOUT' });
    }
    if (config.env !== 'production') return;
    if (config.allowInsecureUpstreams) ctx.addIssue({ code: 'custom', path: ['allowInsecureUpstreams'], message: 'must not be true in production' });
    if (!config.smtpUrl) ctx.addIssue({ code: 'custom', path: ['smtpUrl'], message: 'is required in production (password resets are sent by mail)' });
    const { protocol, hostname } = new URL(config.issuer);
    if (protocol !== 'https:' && hostname !== 'localhost') {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'must use https in production (http is allowed for localhost only)' });
    }
    for (const [provider, client] of Object.entries(config.social)) {
      for (const [setting, value] of Object.entries(client ?? {})) {
        if (setting !== 'clientId' && setting !== 'clientSecret' && typeof value === 'string' && !value.startsWith('https://')) {
          ctx.addIssue({ code: 'custom', path: ['social', provider, setting], message: 'must use https in production' });
        }
      }
    }
  });

export type Config = Readonly<z.infer<typeof configSchema> & { webConcurrency: number }>;

/** Raised for any invalid setting; main.ts prints its message as one line and exits. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function mergeDeep(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? mergeDeep(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return merged;
}

/** Every environment variable, the setting it overrides and what a valid value looks like (for error messages and the README). */
export const environmentVariables: ReadonlyArray<{ name: string; path: string; expected: string }> = [
  { name: 'ISSUER', path: 'issuer', expected: 'an absolute http(s) URL' },
  { name: 'PORT', path: 'port', expected: 'an integer between 0 and 65535' },
  { name: 'DATABASE_URL', path: 'databaseUrl', expected: 'a postgres:// URL' },
  { name: 'DATA_DIR', path: 'dataDir', expected: 'a directory path' },
  { name: 'LOG_LEVEL', path: 'logLevel', expected: 'one of fatal, error, warn, info, debug, trace, silent' },
  { name: 'BCRYPT_COST', path: 'bcryptCost', expected: 'an integer between 4 and 15' },
  { name: 'COOKIE_SECRETS', path: 'cookieSecrets', expected: 'a comma-separated list of secrets of at least 32 characters each' },
  { name: 'KEY_ENCRYPTION_SECRET', path: 'keyEncryptionSecret', expected: 'a secret of at least 32 characters' },
  {
    name: 'KEY_ENCRYPTION_SECRET_PREVIOUS',
    path: 'keyEncryptionSecretPrevious',
    expected: 'a comma-separated list of former key-encryption secrets of at least 32 characters each',
  },
  { name: 'PASSWORD_PEPPERS', path: 'passwordPeppers', expected: 'a comma-separated list of secrets of at least 32 characters each' },
  { name: 'TRUST_PROXY', path: 'trustProxy', expected: 'true or false' },
  { name: 'NEW_DEVICE_CHECK', path: 'newDeviceCheck', expected: 'true or false' },
  { name: 'ACCESS_TOKEN_TTL', path: 'ttl.accessTokenSeconds', expected: 'a positive whole number of seconds' },
  { name: 'ID_TOKEN_TTL', path: 'ttl.idTokenSeconds', expected: 'a positive whole number of seconds' },
  { name: 'AUTHORIZATION_CODE_TTL', path: 'ttl.authorizationCodeSeconds', expected: 'a positive whole number of seconds' },
  { name: 'REFRESH_TOKEN_TTL', path: 'ttl.refreshTokenSeconds', expected: 'a positive whole number of seconds' },
  { name: 'CLIENT_CREDENTIALS_TTL', path: 'ttl.clientCredentialsSeconds', expected: 'a positive whole number of seconds' },
  { name: 'INTERACTION_TTL', path: 'ttl.interactionSeconds', expected: 'a positive whole number of seconds' },
  { name: 'SESSION_TTL', path: 'ttl.sessionSeconds', expected: 'a positive whole number of seconds' },
  { name: 'GRANT_TTL', path: 'ttl.grantSeconds', expected: 'a positive whole number of seconds' },
  { name: 'KEY_REFRESH_INTERVAL', path: 'keyRefreshSeconds', expected: 'a positive whole number of seconds' },
  { name: 'KEY_ROTATION_DAYS', path: 'keyRotationDays', expected: 'a number of days between 0 (off) and 3650' },
  { name: 'CLIENT_SECRET_GRACE_DAYS', path: 'clientSecretGraceDays', expected: 'a whole number of days between 0 and 365' },
  { name: 'AUDIT_RETENTION_DAYS', path: 'auditRetentionDays', expected: 'a whole number of days between 1 and 36500' },
  { name: 'PURGE_INTERVAL', path: 'purge.intervalSeconds', expected: 'a positive whole number of seconds' },
  { name: 'PURGE_BATCH_SIZE', path: 'purge.batchSize', expected: 'an integer between 1 and 100000' },
  { name: 'DNS_SERVERS', path: 'dnsServers', expected: 'a comma-separated list of DNS servers (host or host:port) for domain verification' },
  { name: 'ALLOW_INSECURE_UPSTREAMS', path: 'allowInsecureUpstreams', expected: 'true or false' },
  { name: 'SMTP_URL', path: 'smtpUrl', expected: 'an smtp:// or smtps:// URL' },
  { name: 'BACKCHANNEL_LOGOUT_GIVE_UP_AFTER', path: 'backchannelLogout.giveUpAfterSeconds', expected: 'a positive whole number of seconds' },
  { name: 'MAIL_FROM', path: 'mailFrom', expected: 'a sender address such as "Sign-in <no-reply@example.com>"' },
  { name: 'METRICS_PORT', path: 'metricsPort', expected: 'an integer between 0 and 65535' },
  { name: 'WEB_CONCURRENCY', path: 'webConcurrency', expected: 'an integer between 1 and 256 (worker processes)' },
  { name: 'HTTP_REQUEST_TIMEOUT', path: 'http.requestTimeoutSeconds', expected: 'a positive number of seconds' },
  { name: 'HTTP_HEADERS_TIMEOUT', path: 'http.headersTimeoutSeconds', expected: 'a positive number of seconds' },
  { name: 'HTTP_KEEP_ALIVE_TIMEOUT', path: 'http.keepAliveTimeoutSeconds', expected: 'a positive number of seconds' },
  { name: 'HTTP_MAX_HEADER_BYTES', path: 'http.maxHeaderBytes', expected: 'an integer between 4096 and 1048576' },
  { name: 'HTTP_MAX_BODY_BYTES', path: 'http.maxBodyBytes', expected: 'an integer between 1024 and 10485760' },
  ...socialVariables.map(({ name, provider, setting, expected }) => ({ name, path: `social.${provider}.${setting}`, expected })),
];

const listSettings = new Set(['cookieSecrets', 'keyEncryptionSecretPrevious', 'passwordPeppers', 'dnsServers']);

function setPath(target: Record<string, unknown>, dottedPath: string, value: unknown): void {
  const keys = dottedPath.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** Empty variables count as unset, so `VAR=` in a compose file falls back to the default. */
function fromEnvironment(env: Env): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const { name, path: settingPath } of environmentVariables) {
    const value = env[name]?.trim();
    if (!value) continue;
    setPath(settings, settingPath, listSettings.has(settingPath) ? value.split(',').map((item) => item.trim()) : value);
  }
  return settings;
}

interface DevelopmentSecrets {
  cookieSecrets: string[];
  keyEncryptionSecret: string;
  passwordPeppers: string[];
}

const generatedSecret = () => randomBytes(32).toString('base64url');

/**
 * Outside production, missing secrets are generated once into DATA_DIR so restarts keep sessions,
 * keys and password hashes. A file written before a secret existed gets that one added.
 */
function developmentSecrets(dataDir: string): DevelopmentSecrets {
  const file = path.join(dataDir, 'secrets.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevelopmentSecrets>) : {};
  const secrets: DevelopmentSecrets = {
    cookieSecrets: stored.cookieSecrets ?? [generatedSecret()],
    keyEncryptionSecret: stored.keyEncryptionSecret ?? generatedSecret(),
    passwordPeppers: stored.passwordPeppers ?? [generatedSecret()],
  };
  if (Object.keys(secrets).some((key) => !(key in stored))) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** One issue as an operator reads it: named by its environment variable, or by its config file path. */
function describeIssue(issue: z.core.$ZodIssue, environment: Config['env']): string {
  const issuePath = issue.path.join('.');
  const variable = environmentVariables.find(({ path: settingPath }) => issuePath === settingPath || issuePath.startsWith(`${settingPath}.`));
  const name = variable?.name ?? `${issuePath || 'config'} (config/*.json)`;
  if (issue.code === 'custom') return `${name} ${issue.message}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${name} is required${environment === 'production' ? ' in production' : ''}`;
  }
  return `${name} must be ${variable?.expected ?? issue.message}`;
}

export function loadConfig(env: Env = process.env, overrides: Record<string, unknown> = {}): Config {
  const environment = env.NODE_ENV === 'production' || env.NODE_ENV === 'test' ? env.NODE_ENV : 'development';
  let raw: Record<string, unknown>;
  try {
    raw = [
      readJson(path.join(projectRoot, 'config', 'default.json')),
      readJson(path.join(projectRoot, 'config', `${environment}.json`)),
      fromEnvironment(env),
      overrides,
    ].reduce(mergeDeep, { env: environment });
  } catch (error) {
    throw new ConfigError(`Invalid configuration file: ${(error as Error).message}`);
  }
  raw.dataDir = path.resolve(projectRoot, String(raw.dataDir ?? '.data'));

  if (environment !== 'production' && (raw.cookieSecrets === undefined || raw.keyEncryptionSecret === undefined || raw.passwordPeppers === undefined)) {
    let generated: DevelopmentSecrets;
    try {
      generated = developmentSecrets(raw.dataDir as string);
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration: DATA_DIR ${String(raw.dataDir)} cannot hold the generated development secrets (${(error as Error).message})`,
      );
    }
    raw.cookieSecrets ??= generated.cookieSecrets;
    raw.keyEncryptionSecret ??= generated.keyEncryptionSecret;
    raw.passwordPeppers ??= generated.passwordPeppers;
  }

  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration: ${parsed.error.issues.map((issue) => describeIssue(issue, environment)).join('; ')}`);
  }
  const webConcurrency = parsed.data.webConcurrency ?? (environment === 'production' ? availableParallelism() : 1);
  return Object.freeze({ ...parsed.data, webConcurrency });
}
