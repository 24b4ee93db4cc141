import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { backchannelLogoutEvent } from '../src/oidc/logout/logout-token.ts';
import type { RunningServer } from '../src/server.ts';
import { CapturedLog } from './helpers/captured-log.ts';
import { LogoutListener } from './helpers/logout-listener.ts';
import { cliRunner, testSecretsEnv } from './helpers/processes.ts';
import {
  authorizationRequest,
  client,
  exchangeCode,
  postLogoutRedirectUri,
  redirectUri,
  registerRelyingParty,
  type TestClient,
} from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';
import { UserAgent } from './helpers/user-agent.ts';

const password = 'back channel 2013 logout';

describe('OpenID Connect Back-Channel Logout 1.0', () => {
  let server: RunningServer & { databaseUrl: string };
  const log = new CapturedLog();
  const listeners: LogoutListener[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      logger: createLogger('info', log),
      overrides: { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET },
    });
  });
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.close()));
    await server?.close();
  });

  async function newListener(): Promise<LogoutListener> {
    const listener = await new LogoutListener().listen();
    listeners.push(listener);
    return listener;
  }

  async function newAccount(email: string) {
    return server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  }

  /** Signs in to the app in this browser; returns the ID token (its sid is the one logout tokens carry). */
  async function signIn(agent: UserAgent, app: TestClient, email: string) {
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(agent, request.url, email, password);
    return exchangeCode(app.config, callback.url, request);
  }

  async function rpInitiatedLogout(agent: UserAgent, app: TestClient, idToken: string) {
    const confirmation = await agent.follow(
      client.buildEndSessionUrl(app.config, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri }).toString(),
    );
    return agent.submit(confirmation, 'form#op\\.logoutForm', { logout: 'yes' }, postLogoutRedirectUri);
  }

  /** Verifies a logout token as an app must (spec section 2.6), against the server's published keys. */
  async function verifyLogoutToken(token: string, app: TestClient) {
    const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: server.services.config.issuer,
      audience: app.clientId,
      typ: 'logout+jwt',
      maxTokenAge: '2 minutes',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.events).toEqual({ [backchannelLogoutEvent]: {} });
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
    expect(payload).not.toHaveProperty('nonce');
    return payload;
  }

  const deliveriesOf = (app: TestClient) => server.services.oidc.logoutDeliveries.listOfClient(server.services.db, app.clientId);

  it('says so in discovery', async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it('clients create --backchannel-logout-uri [--backchannel-logout-session-required] registers it, shown by clients list', async () => {
    const { cli, cliJson } = cliRunner(() => ({ NODE_ENV: 'test', DATABASE_URL: server.databaseUrl, ...testSecretsEnv }));
    const created = await cliJson<{ client_id: string }>(
      'clients',
      'create',
      '--name',
      'Wiki',
      '--redirect-uri',
      'https://wiki.example.com/callback',
      '--backchannel-logout-uri',
      'https://wiki.example.com/backchannel-logout',
      '--backchannel-logout-session-required',
    );
    const registered = await server.host.provider.Client.find(created.client_id);
    expect(registered).toMatchObject({ backchannelLogoutUri: 'https://wiki.example.com/backchannel-logout', backchannelLogoutSessionRequired: true });
    const listed = await cliJson<{ clientId: string; backchannelLogoutUri: string | null }[]>('clients', 'list');
    expect(listed).toContainEqual(
      expect.objectContaining({ clientId: created.client_id, backchannelLogoutUri: 'https://wiki.example.com/backchannel-logout' }),
    );

    const withoutUri = await cli('clients', 'create', '--name', 'Bad', '--redirect-uri', 'https://bad.example.com/cb', '--backchannel-logout-session-required');
    expect(withoutUri.code).toBe(2);
    expect(withoutUri.stderr).toMatch(/--backchannel-logout-session-required: needs a back-channel logout URI/);
  });

  it('on RP-initiated logout POSTs a signed logout token to each app of the session, without making the person wait', async () => {
    await newAccount('ida@example.com');
    const wikiListener = await newListener();
    const mailListener = await newListener();
    const wiki = await registerRelyingParty(server, { backchannelLogoutUri: wikiListener.url, backchannelLogoutSessionRequired: true });
    const mail = await registerRelyingParty(server, { backchannelLogoutUri: mailListener.url });
    const agent = new UserAgent();
    const wikiTokens = await signIn(agent, wiki, 'ida@example.com');
    // Already signed in in this browser: the second app gets its code without a sign-in page.
    const mailRequest = await authorizationRequest(mail.config);
    await exchangeCode(mail.config, (await agent.follow(mailRequest.url, {}, redirectUri)).url, mailRequest);

    // The wiki holds its request open: the sign-out still completes at once.
    wikiListener.answer = 'hold';
    const signedOut = await rpInitiatedLogout(agent, wiki, wikiTokens.id_token!);
    expect(signedOut.url).toBe(postLogoutRedirectUri);
    await until(async () => (wikiListener.heldRequests === 1 ? true : undefined), 'the wiki to receive its logout token');
    expect(wikiListener.heldRequests).toBe(1);
    wikiListener.release();

    const wikiClaims = await verifyLogoutToken(wikiListener.tokens[0]!, wiki);
    expect(wikiClaims).toMatchObject({ sub: wikiTokens.claims()!.sub, sid: wikiTokens.claims()!.sid });
    expect(wikiClaims.sid).toEqual(expect.any(String));

    // The other app of the session, which did not ask for sid, gets one without it.
    await until(async () => mailListener.tokens[0], 'the mail app to receive its logout token');
    const mailClaims = await verifyLogoutToken(mailListener.tokens[0]!, mail);
    expect(mailClaims.sub).toBe(wikiTokens.claims()!.sub);
    expect(mailClaims).not.toHaveProperty('sid');

    await until(async () => ((await deliveriesOf(wiki))[0]?.status === 'delivered' ? true : undefined), 'the wiki delivery to be marked delivered');
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'back-channel logout delivered', clientId: wiki.clientId, reason: 'logout' }));
  });

  it('"Sign out everywhere" on My account asks first, needs the form token, ends every session of the account and tells its apps', async () => {
    await newAccount('katherine.j@example.com');
    const listener = await newListener();
    const app = await registerRelyingParty(server, { backchannelLogoutUri: listener.url });
    const laptop = new UserAgent();
    const phone = new UserAgent();
    const appTokens = await signIn(laptop, app, 'katherine.j@example.com');
    await signIn(phone, app, 'katherine.j@example.com');

    const account = await laptop.follow(`${server.url}/account`);
    const confirmation = await laptop.follow(new URL(account.$('a[href="/account/sign-out-everywhere"]').attr('href')!, server.url).toString());
    expect(confirmation.$('h1').text()).toBe('Sign out everywhere?');
    expect((await laptop.request(`${server.url}/account/sign-out-everywhere?lang=fr`)).$('h1').text()).toBe('Se déconnecter partout ?');
    await laptop.request(`${server.url}/account/sign-out-everywhere?lang=en`);
    // Without the form's token nothing happens.
    const forged = await laptop.request(`${server.url}/account/sign-out-everywhere`, { method: 'POST', form: {} });
    expect(forged.status).toBe(403);
    expect((await phone.request(`${server.url}/account`)).status).toBe(200);

    const done = await laptop.submit(confirmation, 'form[action="/account/sign-out-everywhere"]', {});
    expect(done.$('h1').text()).toBe('Signed out everywhere');
    for (const browser of [laptop, phone]) {
      const again = await browser.request(`${server.url}/account`);
      expect(again.status).toBe(302);
      expect(new URL(again.headers.get('location')!, server.url).pathname).toBe('/auth');
    }
    // Both sessions' apps are told, and the app's tokens are gone.
    await until(async () => (listener.tokens.length >= 2 ? true : undefined), 'a logout token per session');
    for (const token of listener.tokens) expect((await verifyLogoutToken(token, app)).sub).toBe(appTokens.claims()!.sub);
    const introspection = await client.tokenIntrospection(app.config, appTokens.access_token);
    expect(introspection.active).toBe(false);
  });

  it('retries an app that answers an error or is down, until it is back', async () => {
    await newAccount('mary@example.com');
    const listener = await newListener();
    const app = await registerRelyingParty(server, { backchannelLogoutUri: listener.url, backchannelLogoutSessionRequired: true });
    const agent = new UserAgent();
    const tokens = await signIn(agent, app, 'mary@example.com');

    listener.answer = 503;
    await rpInitiatedLogout(agent, app, tokens.id_token!);
    await until(async () => (listener.tokens.length >= 1 ? true : undefined), 'a first attempt');
    // Then the app goes down altogether: nothing listens on its port.
    await listener.close();
    listener.answer = 200;
    const failing = await until(async () => {
      const [row] = await deliveriesOf(app);
      return row && row.attempts >= 2 && row.status === 'pending' ? row : undefined;
    }, 'a retry that finds the app down');
    expect(failing.last_error).toEqual(expect.any(String));
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'back-channel logout not delivered: will retry', clientId: app.clientId }));

    const attemptsWhileUp = listener.tokens.length;
    await listener.listen();
    await until(async () => ((await deliveriesOf(app))[0]?.status === 'delivered' ? true : undefined), 'delivery once the app is back', 30_000);
    const received = listener.tokens.slice(attemptsWhileUp);
    expect(received.length).toBeGreaterThanOrEqual(1);
    const claims = await verifyLogoutToken(received.at(-1)!, app);
    // The same notice each time (one jti), signed afresh for each attempt.
    expect(claims.jti).toBe(decodeJwt(listener.tokens[0]!).jti);
    expect(claims.sid).toBe(tokens.claims()!.sid);
  });
});

describe('back-channel logout to an app that never answers', () => {
  let server: RunningServer;
  const log = new CapturedLog();
  let listener: LogoutListener;

  beforeAll(async () => {
    listener = await new LogoutListener().listen();
    listener.answer = 500;
    server = await startTestServer({ logger: createLogger('info', log), overrides: { backchannelLogout: { giveUpAfterSeconds: 1 } } });
  });
  afterAll(async () => {
    await listener?.close();
    await server?.close();
  });

  it('gives up after backchannelLogout.giveUpAfterSeconds and logs it as an error', async () => {
    await server.services.accounts.service.createAccount({ email: 'grete@example.com', password, emailVerified: true });
    const app = await registerRelyingParty(server, { backchannelLogoutUri: listener.url });
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config);
    const tokens = await exchangeCode(app.config, (await signInThroughBrowserless(agent, request.url, 'grete@example.com', password)).url, request);
    const confirmation = await agent.follow(
      client.buildEndSessionUrl(app.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: postLogoutRedirectUri }).toString(),
    );
    await agent.submit(confirmation, 'form#op\\.logoutForm', { logout: 'yes' }, postLogoutRedirectUri);

    const failed = await until(async () => {
      const [row] = await server.services.oidc.logoutDeliveries.listOfClient(server.services.db, app.clientId);
      return row?.status === 'failed' ? row : undefined;
    }, 'the delivery to be given up');
    expect(failed.last_error).toBe('the app answered 500');
    expect(listener.tokens.length).toBeGreaterThanOrEqual(2);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'back-channel logout undeliverable: giving up', clientId: app.clientId }));
  });
});
