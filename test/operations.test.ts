import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import type { RunningServer } from '../src/server.ts';
import { CapturedLog } from './helpers/captured-log.ts';
import { createTestDatabase } from './helpers/database.ts';
import { authorizationRequest, client, exchangeCode, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

describe('logs of a whole sign-in, at the most verbose level', () => {
  const log = new CapturedLog();
  let server: RunningServer;
  let app: TestClient;
  const email = 'grace@example.com';
  const password = 'compiler-A0 1952 secret';
  const wrongPassword = 'cobol-was-not-my-password';

  beforeAll(async () => {
    server = await startTestServer({ logger: createLogger('trace', log) });
    app = await registerRelyingParty(server);
    await server.services.accounts.service.createAccount({ email, password, name: 'Grace Hopper', emailVerified: true });
  });
  afterAll(() => server?.close());

  it('are JSON lines with a request id and never contain passwords, client secrets, codes, tokens or cookies', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config, { login_hint: email });
    const loginPage = await agent.follow(request.url);
    const rejected = await agent.submit(loginPage, 'form[action*="/password"]', { password: wrongPassword });
    expect(rejected.status).toBe(400);

    const callback = await signInThroughBrowserless(agent, request.url, email, password);
    const code = new URL(callback.url).searchParams.get('code')!;
    expect(code).toBeTruthy();
    const tokens = await exchangeCode(app.config, callback.url, request);
    const refreshed = await client.refreshTokenGrant(app.config, tokens.refresh_token!);
    await client.fetchUserInfo(app.config, refreshed.access_token, tokens.claims()!.sub);
    await client.tokenIntrospection(app.config, refreshed.access_token);
    await client.tokenRevocation(app.config, refreshed.refresh_token!);

    const secrets = {
      password,
      wrongPassword,
      clientSecret: app.clientSecret!,
      code,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token!,
      idToken: tokens.id_token!,
      refreshedAccessToken: refreshed.access_token,
      refreshedRefreshToken: refreshed.refresh_token!,
      codeVerifier: request.codeVerifier,
      ...Object.fromEntries(agent.jar.getCookiesSync(server.url).map((cookie) => [`cookie ${cookie.key}`, cookie.value])),
    };
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(8);
      expect(log.text.includes(value), `${name} appears in the logs`).toBe(false);
      expect(log.text.includes(encodeURIComponent(value)), `${name} appears URL-encoded in the logs`).toBe(false);
    }

    const requests = log.lines.filter((line) => line.msg === 'request');
    expect(requests.map((line) => line.path)).toEqual(expect.arrayContaining(['/auth', '/token', '/me', '/token/introspection', '/token/revocation']));
    for (const line of requests) {
      expect(line.requestId).toMatch(/^[\w.-]{8,128}$/);
      expect(line).toMatchObject({ level: 30, service: 'signin' });
      expect(typeof line.time).toBe('number');
    }
  });

  it('carry the caller’s X-Request-Id when it is sane, and a fresh one otherwise', async () => {
    const traced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-trace-0001' } });
    expect(traced.headers.get('x-request-id')).toBe('lb-trace-0001');
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: 'lb-trace-0001', path: '/healthz' }));

    const forged = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'x", "level": 60' } });
    const replaced = forged.headers.get('x-request-id')!;
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: replaced }));
  });

  it('are kept by the provider’s machine endpoints, which skip the page middleware: X-Request-Id, nosniff, one line each', async () => {
    const token = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'x-request-id': 'lb-trace-0002' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(token.status).toBe(400);
    expect(token.headers.get('x-request-id')).toBe('lb-trace-0002');
    expect(token.headers.get('x-content-type-options')).toBe('nosniff');
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: 'lb-trace-0002', path: '/token', status: 400 }));

    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const unknown = await fetch(`${server.url}/token/nothing-here`, { headers: { accept: 'application/json' } });
    expect([unknown.status, await unknown.json()]).toMatchObject([404, { error: 'http.not_found' }]);
  });
});

describe('/readyz', () => {
  it('answers 503 once the database is gone, while /healthz still answers', async () => {
    const databaseUrl = await createTestDatabase();
    const server = await startTestServer({ databaseUrl });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

      const admin = new pg.Client({ connectionString: inject('postgresUrl') });
      await admin.connect();
      await admin.query(`drop database ${new URL(databaseUrl).pathname.slice(1)} with (force)`);
      await admin.end();

      const ready = await fetch(`${server.url}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([503, { status: 'database unreachable' }]);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
