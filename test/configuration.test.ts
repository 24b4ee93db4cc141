import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, environmentVariables, loadConfig } from '../src/config.ts';
import { projectRoot, runNode, testSecretsEnv } from './helpers/processes.ts';
import { authorizationRequest, registerRelyingParty } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

const dataDirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'signin-config-'));
  dataDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

const productionEnv = {
  NODE_ENV: 'production',
  ISSUER: 'https://signin.example.com',
  SMTP_URL: 'smtp://mail.example.com:587',
  ...testSecretsEnv,
};

function configErrorOf(env: Record<string, string>): string {
  try {
    loadConfig({ DATA_DIR: tempDataDir(), ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses config/default.json, generates development secrets into DATA_DIR once and keeps them', () => {
    const dataDir = tempDataDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({ env: 'development', issuer: 'http://localhost:3000', port: 3000, logLevel: 'info', trustProxy: false, dataDir });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.cookieSecrets[0]!.length).toBeGreaterThanOrEqual(32);
    expect(statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const again = loadConfig({ DATA_DIR: dataDir });
    expect(again.cookieSecrets).toEqual(config.cookieSecrets);
    expect(again.keyEncryptionSecret).toBe(config.keyEncryptionSecret);
  });

  it('lets environment variables override the files, and treats empty ones as unset', () => {
    const config = loadConfig({
      DATA_DIR: tempDataDir(),
      ISSUER: 'https://signin.example.com/',
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/signin',
      LOG_LEVEL: 'warn',
      BCRYPT_COST: '12',
      COOKIE_SECRETS: 'first-cookie-secret-0123456789abcdefghij, second-cookie-secret-0123456789abcdefghi',
      TRUST_PROXY: 'true',
      ACCESS_TOKEN_TTL: '600',
      PURGE_BATCH_SIZE: '50',
      SESSION_TTL: '',
    });
    expect(config).toMatchObject({
      issuer: 'https://signin.example.com',
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/signin',
      logLevel: 'warn',
      bcryptCost: 12,
      cookieSecrets: ['first-cookie-secret-0123456789abcdefghij', 'second-cookie-secret-0123456789abcdefghi'],
      trustProxy: true,
      ttl: { accessTokenSeconds: 600, sessionSeconds: 2592000 },
      purge: { batchSize: 50 },
    });
    expect(loadConfig({ DATA_DIR: tempDataDir(), TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('applies config/test.json under NODE_ENV=test', () => {
    expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: tempDataDir() })).toMatchObject({ env: 'test', logLevel: 'silent', bcryptCost: 4 });
  });

  it('names the environment variable of an invalid setting, in one line', () => {
    expect(configErrorOf({ PORT: 'abc' })).toBe('Invalid configuration: PORT must be an integer between 0 and 65535');
    expect(configErrorOf({ PORT: '70000' })).toBe('Invalid configuration: PORT must be an integer between 0 and 65535');
    expect(configErrorOf({ TRUST_PROXY: 'maybe' })).toBe('Invalid configuration: TRUST_PROXY must be true or false');
    expect(configErrorOf({ DATABASE_URL: 'mysql://db/signin' })).toBe('Invalid configuration: DATABASE_URL must be a postgres:// URL');
    expect(configErrorOf({ ISSUER: 'not a url' })).toBe('Invalid configuration: ISSUER must be an absolute http(s) URL');
    expect(configErrorOf({ ACCESS_TOKEN_TTL: '-1' })).toMatch(/^Invalid configuration: ACCESS_TOKEN_TTL must be a positive whole number of seconds$/);
    expect(configErrorOf({ COOKIE_SECRETS: 'short' })).toMatch(/^Invalid configuration: COOKIE_SECRETS must be .*at least 32 characters/);
    const several = configErrorOf({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(several).toBe(
      'Invalid configuration: PORT must be an integer between 0 and 65535; LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('in production requires the secrets instead of generating them, and a mail server', () => {
    const dataDir = tempDataDir();
    expect(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'https://signin.example.com', DATA_DIR: dataDir })).toThrow(
      'Invalid configuration: COOKIE_SECRETS is required in production; KEY_ENCRYPTION_SECRET is required in production; PASSWORD_PEPPERS is required in production',
    );
    expect(existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
    expect(configErrorOf({ ...productionEnv, KEY_ENCRYPTION_SECRET: '' })).toBe('Invalid configuration: KEY_ENCRYPTION_SECRET is required in production');
    expect(configErrorOf({ ...productionEnv, SMTP_URL: '' })).toBe(
      'Invalid configuration: SMTP_URL is required in production (password resets are sent by mail)',
    );
  });

  it('documents every environment variable in the README table', () => {
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    for (const { name } of [{ name: 'NODE_ENV' }, ...environmentVariables]) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('in production refuses an http issuer other than localhost', () => {
    expect(configErrorOf({ ...productionEnv, ISSUER: 'http://signin.example.com' })).toBe(
      'Invalid configuration: ISSUER must use https in production (http is allowed for localhost only)',
    );
    expect(loadConfig({ ...productionEnv, DATA_DIR: tempDataDir() }).issuer).toBe('https://signin.example.com');
    expect(loadConfig({ ...productionEnv, DATA_DIR: tempDataDir(), ISSUER: 'http://localhost:3000' }).issuer).toBe('http://localhost:3000');
  });
});

describe('node src/main.ts with a bad setting', () => {
  const expectOneLineFailure = (result: { code: number | null; stdout: string; stderr: string }, message: string | RegExp) => {
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  };

  it('stops with one line naming the variable and a non-zero exit code', async () => {
    const badPort = await runNode(['src/main.ts'], { DATA_DIR: tempDataDir(), PORT: 'eighty' });
    expectOneLineFailure(badPort, /^Invalid configuration: PORT must be an integer between 0 and 65535$/);

    const productionWithoutSecrets = await runNode(['src/main.ts'], { NODE_ENV: 'production', ISSUER: 'https://signin.example.com', DATA_DIR: tempDataDir() });
    expectOneLineFailure(
      productionWithoutSecrets,
      /^Invalid configuration: COOKIE_SECRETS is required in production; KEY_ENCRYPTION_SECRET is required in production; PASSWORD_PEPPERS is required in production$/,
    );
  });

  it('reports an unreachable database in one line', async () => {
    const result = await runNode(['src/main.ts'], {
      ...testSecretsEnv,
      DATA_DIR: tempDataDir(),
      PORT: '0',
      DATABASE_URL: 'postgres://signin:secret@127.0.0.1:1/signin',
    });
    expectOneLineFailure(result, /^Startup failed: .*ECONNREFUSED/);
    expect(result.stderr).not.toContain('secret@');
  });
});

describe('TRUST_PROXY', () => {
  /** The cookies of an authorization request that a TLS-terminating load balancer forwarded. */
  async function cookiesBehindProxy(trustProxy: boolean): Promise<string[]> {
    const server = await startTestServer({ overrides: { trustProxy } });
    try {
      const app = await registerRelyingParty(server);
      const request = await authorizationRequest(app.config);
      const headers = { 'x-forwarded-proto': 'https' };
      const response = await fetch(request.url, { redirect: 'manual', headers });
      expect(response.status).toBe(303);
      const providerCookies = response.headers.getSetCookie();
      // The sign-in page itself sets our CSRF cookie.
      const page = await fetch(new URL(response.headers.get('location')!, server.url), {
        redirect: 'manual',
        headers: { ...headers, cookie: providerCookies.map((cookie) => cookie.split(';')[0]).join('; ') },
      });
      const pageCookies = page.headers.getSetCookie();
      expect(pageCookies.some((cookie) => cookie.startsWith('csrf_secret='))).toBe(true);
      return [...providerCookies, ...pageCookies];
    } finally {
      await server.close();
    }
  }

  it('when true, X-Forwarded-Proto: https makes the sign-in cookies Secure', async () => {
    const cookies = await cookiesBehindProxy(true);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie.toLowerCase()).toContain('; secure');
  });

  it('when false (the default), forwarded headers are ignored', async () => {
    const cookies = await cookiesBehindProxy(false);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie.toLowerCase()).not.toContain('; secure');
  });
});
