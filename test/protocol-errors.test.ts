import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import {
  authorizationRequest,
  client,
  discover,
  exchangeCode,
  postLogoutRedirectUri,
  redirectUri,
  registerRelyingParty,
  type TestClient,
} from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const email = 'grace@example.com';
const password = 'compiler pioneer 1952';

/** Our own HTML error page (not oidc-provider's default one), and no redirect anywhere. */
function expectErrorPage(response: PageResponse, error: string) {
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.$('link[rel=stylesheet]').attr('href')).toBe('/assets/site.css');
  expect(response.$('[role=alert]').text()).toContain('invalid sign-in request');
  expect(response.$('code').text()).toBe(error);
}

async function expectOAuthError(promise: Promise<unknown>, error: string) {
  const thrown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(thrown).toBeInstanceOf(client.ResponseBodyError);
  expect((thrown as client.ResponseBodyError).error).toBe(error);
}

function expectOneWinner(results: PromiseSettledResult<unknown>[]) {
  expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  for (const result of results) {
    if (result.status === 'rejected') expect((result.reason as client.ResponseBodyError).error).toBe('invalid_grant');
  }
}

describe('protocol errors and token lifecycle rules', () => {
  let server: RunningServer;
  let app: TestClient;
  let publicApp: TestClient;

  const signIn = async (rp: TestClient, params: Record<string, string> = {}) => {
    const request = await authorizationRequest(rp.config, params);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    expect(callback.url.startsWith(`${redirectUri}?`), callback.body.slice(0, 500)).toBe(true);
    return { request, callbackUrl: callback.url };
  };

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    publicApp = await registerRelyingParty(server, { isPublic: true });
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('shows our error page for an unregistered redirect_uri instead of redirecting to it', async () => {
    const request = await authorizationRequest(app.config, { redirect_uri: 'http://127.0.0.1:9/elsewhere' });
    expectErrorPage(await new UserAgent().request(request.url), 'invalid_redirect_uri');
  });

  it.each([
    ['a trailing slash', `${redirectUri}/`],
    ['an extra query', `${redirectUri}?next=/admin`],
    ['a different path case', redirectUri.replace('callback', 'Callback')],
    ['a different port', redirectUri.replace(':9/', ':10/')],
  ])('matches redirect URIs exactly: %s is refused', async (_label, uri) => {
    const request = await authorizationRequest(app.config, { redirect_uri: uri });
    expectErrorPage(await new UserAgent().request(request.url), 'invalid_redirect_uri');
  });

  it('shows our error page, not a stack trace, for an unknown client or a request without client', async () => {
    const unknown = new URL((await authorizationRequest(app.config)).url);
    unknown.searchParams.set('client_id', 'no-such-client');
    expectErrorPage(await new UserAgent().request(unknown.toString()), 'invalid_client');

    unknown.searchParams.delete('client_id');
    expectErrorPage(await new UserAgent().request(unknown.toString()), 'invalid_request');
  });

  it('returns iss with the code and with errors sent back to the app', async () => {
    const { callbackUrl } = await signIn(app);
    expect(new URL(callbackUrl).searchParams.get('iss')).toBe(server.services.config.issuer);

    const silent = await authorizationRequest(app.config, { prompt: 'none' });
    const response = await new UserAgent().follow(silent.url, {}, redirectUri);
    const params = new URL(response.url).searchParams;
    expect(params.get('error')).toBe('login_required');
    expect(params.get('state')).toBe(silent.state);
    expect(params.get('iss')).toBe(server.services.config.issuer);
  });

  it('refuses a reused authorization code and revokes what its first use issued', async () => {
    const { request, callbackUrl } = await signIn(app);
    const tokens = await exchangeCode(app.config, callbackUrl, request);
    expect((await client.tokenIntrospection(app.config, tokens.access_token)).active).toBe(true);

    await expectOAuthError(exchangeCode(app.config, callbackUrl, request), 'invalid_grant');

    expect((await client.tokenIntrospection(app.config, tokens.access_token)).active).toBe(false);
    await expectOAuthError(client.refreshTokenGrant(app.config, tokens.refresh_token!), 'invalid_grant');
  });

  it('redeems a code only once when requests race for it', async () => {
    const { request, callbackUrl } = await signIn(app);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => exchangeCode(app.config, callbackUrl, request)));
    expectOneWinner(results);
  });

  it('rotates a refresh token only once when requests race with it', async () => {
    const { request, callbackUrl } = await signIn(app);
    const tokens = await exchangeCode(app.config, callbackUrl, request);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => client.refreshTokenGrant(app.config, tokens.refresh_token!)));
    expectOneWinner(results);
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const { request, callbackUrl } = await signIn(app);
    const impostor = await discover(server.url, app.clientId, 'not-the-secret-0123456789abcdefghijkl');
    await expectOAuthError(exchangeCode(impostor, callbackUrl, request), 'invalid_client');
  });

  it('refuses a wrong PKCE verifier with invalid_grant', async () => {
    const { request, callbackUrl } = await signIn(app);
    await expectOAuthError(exchangeCode(app.config, callbackUrl, { ...request, codeVerifier: client.randomPKCECodeVerifier() }), 'invalid_grant');
  });

  it('requires S256 PKCE from public clients: no code_challenge and the plain method are refused', async () => {
    const withoutChallenge = new URL((await authorizationRequest(publicApp.config)).url);
    withoutChallenge.searchParams.delete('code_challenge');
    withoutChallenge.searchParams.delete('code_challenge_method');
    const refused = await new UserAgent().follow(withoutChallenge.toString(), {}, redirectUri);
    expect(new URL(refused.url).searchParams.get('error')).toBe('invalid_request');
    expect(new URL(refused.url).searchParams.get('error_description')).toMatch(/PKCE/);

    const verifier = client.randomPKCECodeVerifier();
    const plain = await authorizationRequest(publicApp.config, { code_challenge: verifier, code_challenge_method: 'plain' });
    const refusedPlain = await new UserAgent().follow(plain.url, {}, redirectUri);
    expect(new URL(refusedPlain.url).searchParams.get('error')).toBe('invalid_request');
    expect(new URL(refusedPlain.url).searchParams.get('error_description')).toMatch(/code_challenge_method/);

    // The same public client with S256 signs in and redeems its code without a secret.
    const { request, callbackUrl } = await signIn(publicApp);
    const tokens = await exchangeCode(publicApp.config, callbackUrl, request);
    expect(tokens.claims()?.aud).toBe(publicApp.clientId);
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes the whole grant', async () => {
    const { request, callbackUrl } = await signIn(app);
    const first = await exchangeCode(app.config, callbackUrl, request);
    const second = await client.refreshTokenGrant(app.config, first.refresh_token!);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);

    await expectOAuthError(client.refreshTokenGrant(app.config, first.refresh_token!), 'invalid_grant');

    await expectOAuthError(client.refreshTokenGrant(app.config, second.refresh_token!), 'invalid_grant');
    expect((await client.tokenIntrospection(app.config, second.access_token)).active).toBe(false);
  });

  it('lets a client introspect and revoke only its own tokens', async () => {
    const { request, callbackUrl } = await signIn(app);
    const tokens = await exchangeCode(app.config, callbackUrl, request);
    const other = await registerRelyingParty(server);

    expect(await client.tokenIntrospection(other.config, tokens.access_token)).toEqual({ active: false });
    await client.tokenRevocation(other.config, tokens.access_token).catch(() => undefined);
    await client.tokenRevocation(other.config, tokens.refresh_token!).catch(() => undefined);

    expect((await client.tokenIntrospection(app.config, tokens.access_token)).active).toBe(true);
    expect((await client.refreshTokenGrant(app.config, tokens.refresh_token!)).access_token).toBeTruthy();
  });

  it('answers cross-origin calls only from the origin of a registered redirect URI', async () => {
    const tokenCall = (origin: string) =>
      fetch(new URL('/token', server.url), {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'unknown', client_id: publicApp.clientId }),
      });

    const fromApp = await tokenCall(new URL(redirectUri).origin);
    expect(fromApp.headers.get('access-control-allow-origin')).toBe(new URL(redirectUri).origin);
    expect((await fromApp.json()).error).toBe('invalid_grant');

    const fromElsewhere = await tokenCall('https://attacker.example');
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
    expect(await fromElsewhere.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses RP-initiated logout to an unregistered post_logout_redirect_uri', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(agent, request.url, email, password);
    const tokens = await exchangeCode(app.config, callback.url, request);

    const logoutUrl = client.buildEndSessionUrl(app.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/elsewhere' });
    expectErrorPage(await agent.request(logoutUrl.toString()), 'invalid_request');

    const registered = client.buildEndSessionUrl(app.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: postLogoutRedirectUri });
    expect((await agent.request(registered.toString())).status).toBe(200);
  });
});

describe('an unexpected failure inside the provider', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('answers server_error without details, and is logged', async () => {
    const service = await registerRelyingParty(server, { grantTypes: ['client_credentials'] });
    const logged: unknown[] = [];
    server.logger.error = ((entry: unknown) => void logged.push(entry)) as typeof server.logger.error;

    // The resource server lookup fails as it would during a database outage.
    await sql`alter table resource_servers rename to resource_servers_away`.execute(server.services.db);
    try {
      const response = await fetch(new URL('/token', server.url), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://api.example.test/' }),
      });
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(JSON.parse(body).error).toBe('server_error');
      expect(body).not.toMatch(/resource_servers|relation|\.ts:/);
    } finally {
      await sql`alter table resource_servers_away rename to resource_servers`.execute(server.services.db);
    }
    expect(logged).toHaveLength(1);
    expect(String((logged[0] as { err: Error }).err.message)).toMatch(/resource_servers/);
  });
});
