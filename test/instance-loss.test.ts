import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createDatabase } from '../src/db/database.ts';
import { freePort } from '../src/db/embedded-postgres.ts';
import { createLogger } from '../src/log.ts';
import { createServices } from '../src/services.ts';
import { createTestDatabase } from './helpers/database.ts';
import { AnswerLog, followPatiently, formSubmission, signInPatiently, tokenRequest } from './helpers/patient-journey.ts';
import { ServerProcess, testSecretsEnv } from './helpers/processes.ts';
import { authorizationRequest, discover, redirectUri } from './helpers/relying-party.ts';
import { loopbackCertificate, nginxBinary, ReverseProxy } from './helpers/reverse-proxy.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';
import { until } from './helpers/until.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'katherine@example.com';
const password = 'trajectories of friendship 7';

if (!nginxBinary) console.log('instance-loss tests skipped: nginx is not installed (apt-get install nginx)');

describe.skipIf(!nginxBinary)('two instances behind nginx (TLS terminated, TRUST_PROXY=true)', () => {
  const dataDirs: string[] = [];
  const previousDispatcher = getGlobalDispatcher();
  let proxy: ReverseProxy;
  let sink: SmtpSink;
  let ports: [number, number];
  let env: Record<string, string>;
  let instances: [ServerProcess, ServerProcess];
  let db: ReturnType<typeof createDatabase>;
  let clientId: string;
  let clientSecret: string;

  const startInstance = (port: number) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'signin-instance-'));
    dataDirs.push(dataDir);
    return ServerProcess.start(port, { ...env, DATA_DIR: dataDir });
  };

  beforeAll(async () => {
    const tls = await loopbackCertificate();
    // This file's requests trust the proxy's self-signed certificate (and only reach loopback).
    setGlobalDispatcher(new Agent({ connect: { ca: tls.cert } }));
    const databaseUrl = await createTestDatabase();
    sink = await SmtpSink.start();
    const proxyPort = await ReverseProxy.port();
    ports = [await freePort(), await freePort()];
    env = { ...testSecretsEnv, DATABASE_URL: databaseUrl, ISSUER: `https://127.0.0.1:${proxyPort}`, TRUST_PROXY: 'true', SMTP_URL: sink.url, BCRYPT_COST: '4' };
    instances = [await startInstance(ports[0]), await startInstance(ports[1])];
    proxy = await ReverseProxy.start(proxyPort, ports, tls);

    db = createDatabase(databaseUrl, createLogger('silent'), { maxConnections: 2 });
    const services = createServices(
      loadConfig(
        { NODE_ENV: 'test' },
        {
          databaseUrl,
          issuer: env.ISSUER,
          cookieSecrets: [testSecretsEnv.COOKIE_SECRETS],
          keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET,
          passwordPeppers: [testSecretsEnv.PASSWORD_PEPPERS],
        },
      ),
      db,
    );
    const registered = await services.oidc.clients.create(services.db, {
      name: 'Proxy App',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      firstParty: true,
      isPublic: false,
    });
    clientId = registered.clientId;
    clientSecret = registered.clientSecret!;
    await services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(async () => {
    await proxy?.stop();
    for (const instance of instances ?? []) await instance.stop();
    await db?.destroy();
    await sink?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    setGlobalDispatcher(previousDispatcher);
  });

  const tokenEndpoint = () => `${proxy.url}/token`;
  const exchange = (callbackUrl: string, codeVerifier: string) =>
    tokenRequest(tokenEndpoint(), clientId, clientSecret, {
      grant_type: 'authorization_code',
      code: new URL(callbackUrl).searchParams.get('code')!,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
    });
  const requestServedBy = (instance: ServerProcess, pathPrefix: string) =>
    instance.logLines.some((line) => typeof line.path === 'string' && line.path.startsWith(pathPrefix));

  it('sees https through the proxy: Secure cookies and https URLs in discovery', async () => {
    const discovery = (await (await fetch(`${proxy.url}/.well-known/openid-configuration`)).json()) as { issuer: string; token_endpoint: string };
    expect(discovery.issuer).toBe(env.ISSUER);
    expect(discovery.token_endpoint).toBe(`${env.ISSUER}/token`);
    const config = await discover(proxy.url, clientId, clientSecret);
    const request = await authorizationRequest(config);
    const first = await new UserAgent().request(request.url);
    expect(first.status).toBe(303);
    expect(first.setCookies.length).toBeGreaterThan(0);
    for (const cookie of first.setCookies) expect(cookie.toLowerCase()).toContain('; secure');
  });

  it('keys rate limits by the address the proxy saw, whatever X-Forwarded-For the client sends', async () => {
    const config = await discover(proxy.url, clientId, clientSecret);
    const agent = new UserAgent();
    const page = await agent.follow((await authorizationRequest(config, { login_hint: 'nobody-limit@example.com' })).url);
    let status = 0;
    // Ten failures per address and account: a client rotating its own X-Forwarded-For gets no fresh counter.
    for (let attempt = 1; attempt <= 11; attempt += 1) {
      const wrong = formSubmission(page, 'form[action*="/password"]', { password: `wrong password ${attempt}` });
      const answer = await agent.request(wrong.url, { ...wrong.init, headers: { 'x-forwarded-for': `203.0.113.${attempt}` } });
      status = answer.status;
    }
    expect(status).toBe(429);
  });

  it('loses nothing when one instance is killed (-9): a sign-in started on it finishes on the other, tokens and queued mail survive', async () => {
    const config = await discover(proxy.url, clientId, clientSecret);
    const answers = new AnswerLog();
    const earlier = await authorizationRequest(config);
    const earlierCallback = await signInPatiently(new UserAgent(), earlier, email, password, { log: answers });
    const earlierTokens = await exchange(earlierCallback, earlier.codeVerifier);
    expect(earlierTokens.status, JSON.stringify(earlierTokens.body)).toBe(200);

    // A sign-in under way, then mails queued, then instance 0 disappears without a word.
    const agent = new UserAgent();
    const pending = await authorizationRequest(config);
    const emailPage = await followPatiently(agent, pending.url, {}, { log: answers });
    const uid = new URL(emailPage.url).pathname.split('/')[2]!;
    const servedBeforeKill = requestServedBy(instances[0], '/auth') || requestServedBy(instances[0], `/interaction/${uid}`);
    for (const to of ['queued-1@example.com', 'queued-2@example.com']) {
      const mailer = new UserAgent();
      const form = await followPatiently(mailer, `${proxy.url}/forgot-password`, {}, { log: answers });
      const submission = formSubmission(form, 'form[action="/forgot-password"]', { email: to });
      expect((await followPatiently(mailer, submission.url, submission.init, { log: answers })).status).toBe(200);
    }
    instances[0].signal('SIGKILL');
    await instances[0].exited();

    expect(servedBeforeKill).toBe(true);
    const identifier = formSubmission(emailPage, 'form[action*="/identifier"]', { email });
    const passwordPage = await followPatiently(agent, identifier.url, identifier.init, { log: answers });
    const passwordForm = formSubmission(passwordPage, 'form[action*="/password"]', { password });
    const callback = await followPatiently(agent, passwordForm.url, passwordForm.init, { log: answers });
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    const exchanged = await exchange(callback.url, pending.codeVerifier);
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    expect(requestServedBy(instances[1], `/interaction/${uid}`)).toBe(true);

    // What was committed before the kill still holds.
    const refreshed = await tokenRequest(tokenEndpoint(), clientId, clientSecret, {
      grant_type: 'refresh_token',
      refresh_token: earlierTokens.body.refresh_token as string,
    });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    for (const to of ['queued-1@example.com', 'queued-2@example.com']) await sink.waitFor(to, 1, 30_000);
    expect(answers.count((status) => status >= 500)).toBe(0);

    // Back in the pool, then the other one leaves with SIGTERM while a sign-in goes on: it drains and exits 0.
    instances[0] = await startInstance(ports[0]);
    // nginx takes it back once its fail_timeout has passed and a request reaches it.
    await until(async () => {
      await fetch(`${proxy.url}/healthz`);
      return requestServedBy(instances[0], '/healthz') ? true : undefined;
    }, 'the restarted instance back behind the proxy');
    const draining = signInPatiently(new UserAgent(), await authorizationRequest(config), email, password, { log: answers });
    instances[1].signal('SIGTERM');
    expect(await instances[1].exited()).toBe(0);
    expect(new URL(await draining).searchParams.get('code')).toBeTruthy();
    instances[1] = await startInstance(ports[1]);
    await until(async () => ((await fetch(`${proxy.url}/readyz`)).status === 200 ? true : undefined), 'the pool ready');
    expect(sink.to('queued-1@example.com')).toHaveLength(1);
    expect(sink.to('queued-2@example.com')).toHaveLength(1);
    expect(answers.count((status) => status >= 500)).toBe(0);
  });
});
