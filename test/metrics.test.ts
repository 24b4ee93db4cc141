import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, scrape } from './helpers/metrics.ts';
import { authorizationRequest, client, exchangeCode, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail, signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'katherine@example.com';
const password = 'orbital mechanics 1962';
const rateLimits = {
  login: { perAccountAndIp: { points: 1, durationSeconds: 60 }, perIp: { points: 100, durationSeconds: 60 } },
  forgotPassword: { perEmail: { points: 5, durationSeconds: 60 }, perIp: { points: 20, durationSeconds: 60 } },
  signUp: { perEmail: { points: 5, durationSeconds: 60 }, perIp: { points: 20, durationSeconds: 60 } },
};

describe('Prometheus metrics on METRICS_PORT', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let app: TestClient;
  let exposition: string;
  let interactionUid: string;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { metricsPort: 0, rateLimits } });
    app = await registerRelyingParty(server, { grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });

    const request = await authorizationRequest(app.config);
    const agent = new UserAgent();
    const callback = await signInThroughBrowserless(agent, request.url, email, password);
    const tokens = await exchangeCode(app.config, callback.url, request);
    await client.refreshTokenGrant(app.config, tokens.refresh_token!);
    await client.clientCredentialsGrant(app.config);

    // Two wrong passwords for another address: the second is over its limit of one attempt (429).
    const blocked = new UserAgent();
    const firstPage = await blocked.follow((await authorizationRequest(app.config)).url);
    interactionUid = /\/interaction\/([^/?#]+)/.exec(firstPage.url)![1]!;
    const passwordPage = await enterEmail(blocked, firstPage, 'mallory@example.com');
    await blocked.submit(passwordPage, 'form[action*="/password"]', { password: 'guess one' });
    const refused = await blocked.submit(passwordPage, 'form[action*="/password"]', { password: 'guess two' });
    expect(refused.status).toBe(429);

    exposition = await scrape(server.metricsUrl!);
  });
  afterAll(() => server?.close());

  it('is not served on the public port', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect(new URL(server.metricsUrl!).port).not.toBe(new URL(server.url).port);
  });

  it('times requests by route template and status, never by raw path', () => {
    expect(metricValue(exposition, 'signin_http_request_duration_seconds_count', { route: '/token', method: 'POST', status: '200' })).toBe(3);
    expect(metricValue(exposition, 'signin_http_request_duration_seconds_count', { route: '/interaction/:uid', method: 'GET', status: '200' })).toBeGreaterThan(
      0,
    );
    expect(metricValue(exposition, 'signin_http_request_duration_seconds_bucket', { route: '/auth', le: '+Inf' })).toBeGreaterThan(0);
    expect(exposition).not.toContain(interactionUid);
  });

  it('counts tokens issued by grant', () => {
    for (const grant of ['authorization_code', 'refresh_token', 'client_credentials']) {
      expect(metricValue(exposition, 'signin_tokens_issued_total', { grant }), grant).toBe(1);
    }
  });

  it('counts sign-ins by method and outcome (the refused password attempts included)', () => {
    expect(metricValue(exposition, 'signin_sign_ins_total', { method: 'password', outcome: 'success' })).toBe(1);
    expect(metricValue(exposition, 'signin_sign_ins_total', { method: 'password', outcome: 'failure' })).toBe(2);
  });

  it('is what the Grafana dashboard beside docker-compose.yml charts: every series it names is served', () => {
    const dashboard = readFileSync(path.join(import.meta.dirname, '..', 'grafana-dashboard.json'), 'utf8');
    const charted = new Set(dashboard.match(/\b(?:signin|nodejs|process)_[a-z0-9_]+/g));
    for (const series of charted) expect(exposition, series).toMatch(new RegExp(`^${series.replace(/_(bucket|count)$/, '')}`, 'm'));
  });

  it('counts rate-limit refusals', () => {
    expect(metricValue(exposition, 'signin_rate_limit_refusals_total', { route: '/interaction/:uid/password' })).toBe(1);
  });

  it('reports the mail and logout queues, database connections and event-loop lag', () => {
    expect(metricValue(exposition, 'signin_queue_depth', { queue: 'mail' })).toBe(0);
    expect(metricValue(exposition, 'signin_queue_oldest_age_seconds', { queue: 'mail' })).toBe(0);
    expect(metricValue(exposition, 'signin_queue_depth', { queue: 'logout' })).toBe(0);
    expect(metricValue(exposition, 'signin_db_connections', { state: 'idle' })).toBeGreaterThan(0);
    expect(metricValue(exposition, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('answers 404 to anything but GET /metrics', async () => {
    expect((await fetch(new URL('/', server.metricsUrl))).status).toBe(404);
  });
});
