import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const projectRoot = path.resolve(import.meta.dirname, '..');

const secret = z.string().min(32, 'must be at least 32 characters');
const seconds = z.coerce.number().int().positive();

/** Social providers: enabled by a client id and secret; every upstream address can be overridden (tests use loopback stand-ins). */
export const socialProviderNames = ['google', 'microsoft', 'linkedin', 'facebook'] as const;
export type SocialProviderName = (typeof socialProviderNames)[number];

const envName = (provider: SocialProviderName, setting: string) => `SOCIAL_${provider.toUpperCase()}_${setting}`;

function socialClient<T extends z.ZodRawShape>(provider: SocialProviderName, addresses: T) {
  const required = (setting: string, other: string) =>
    z.string({ error: `${envName(provider, setting)} is required when ${envName(provider, other)} is set` }).min(1, `${envName(provider, setting)} must not be empty`);
  return z.object({ clientId: required('CLIENT_ID', 'CLIENT_SECRET'), clientSecret: required('CLIENT_SECRET', 'CLIENT_ID'), ...addresses }).optional();
}

const socialSchema = z
  .object({
    google: socialClient('google', { issuer: z.url().optional() }),
    microsoft: socialClient('microsoft', { issuer: z.url().optional() }),
    linkedin: socialClient('linkedin', { issuer: z.url().optional() }),
    facebook: socialClient('facebook', { authorizationUrl: z.url().optional(), tokenUrl: z.url().optional(), graphUrl: z.url().optional() }),
  })
  .default({});

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
    purge: z.object({ intervalSeconds: seconds, batchSize: z.coerce.number().int().min(1).max(100_000) }),
    /** DNS servers (host or host:port) for domain verification; empty: the system's resolvers. */
    dnsServers: z.array(z.string().min(1)).default([]),
    social: socialSchema,
  })
  .superRefine((config, ctx) => {
    if (config.env !== 'production') return;
    const { protocol, hostname } = new URL(config.issuer);
    if (protocol !== 'https:' && hostname !== 'localhost') {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'must use https in production (http is allowed for localhost only)' });
    }
    for (const [provider, settings] of Object.entries(config.social)) {
      for (const [name, value] of Object.entries(settings ?? {})) {
        if (name !== 'clientId' && name !== 'clientSecret' && typeof value === 'string' && !value.startsWith('https://')) {
          ctx.addIssue({ code: 'custom', path: ['social', provider, name], message: 'must use https in production' });
        }
      }
    }
  });

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Raised for any invalid setting; main.ts prints its message as one line and exits. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function definedOnly<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
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

/** SOCIAL_<NAME>_CLIENT_ID, _CLIENT_SECRET and the address overrides; a provider none of them names is left out. */
function socialFromEnvironment(env: Env): Record<string, unknown> {
  const addresses = { issuer: 'ISSUER', authorizationUrl: 'AUTHORIZATION_URL', tokenUrl: 'TOKEN_URL', graphUrl: 'GRAPH_URL' };
  const providers = socialProviderNames.map((provider) => {
    const settings = definedOnly({
      clientId: env[envName(provider, 'CLIENT_ID')],
      clientSecret: env[envName(provider, 'CLIENT_SECRET')],
      ...Object.fromEntries(Object.entries(addresses).map(([key, setting]) => [key, env[envName(provider, setting)]])),
    });
    return [provider, settings] as const;
  });
  return Object.fromEntries(providers.filter(([, settings]) => Object.keys(settings).length > 0));
}

function fromEnvironment(env: Env): Record<string, unknown> {
  return definedOnly({
    issuer: env.ISSUER,
    port: env.PORT,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR,
    logLevel: env.LOG_LEVEL,
    bcryptCost: env.BCRYPT_COST,
    cookieSecrets: env.COOKIE_SECRETS?.split(',').map((value) => value.trim()),
    keyEncryptionSecret: env.KEY_ENCRYPTION_SECRET,
    dnsServers: env.DNS_SERVERS?.split(',').map((value) => value.trim()).filter(Boolean),
    social: socialFromEnvironment(env),
    ttl: definedOnly({
      accessTokenSeconds: env.ACCESS_TOKEN_TTL,
      idTokenSeconds: env.ID_TOKEN_TTL,
      authorizationCodeSeconds: env.AUTHORIZATION_CODE_TTL,
      refreshTokenSeconds: env.REFRESH_TOKEN_TTL,
      clientCredentialsSeconds: env.CLIENT_CREDENTIALS_TTL,
      interactionSeconds: env.INTERACTION_TTL,
      sessionSeconds: env.SESSION_TTL,
      grantSeconds: env.GRANT_TTL,
    }),
  });
}

interface DevelopmentSecrets {
  cookieSecrets: string[];
  keyEncryptionSecret: string;
}

/** Outside production, missing secrets are generated once into DATA_DIR so restarts keep sessions and keys. */
function developmentSecrets(dataDir: string): DevelopmentSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevelopmentSecrets;
  const secrets: DevelopmentSecrets = {
    cookieSecrets: [randomBytes(32).toString('base64url')],
    keyEncryptionSecret: randomBytes(32).toString('base64url'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`).join('; ');
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

  if (environment !== 'production' && (raw.cookieSecrets === undefined || raw.keyEncryptionSecret === undefined)) {
    const generated = developmentSecrets(raw.dataDir as string);
    raw.cookieSecrets ??= generated.cookieSecrets;
    raw.keyEncryptionSecret ??= generated.keyEncryptionSecret;
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error)}`);
  return Object.freeze(parsed.data);
}
