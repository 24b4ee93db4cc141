import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { beginFederated, resume, startInteraction } from './helpers/federation-journey.ts';
import { client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';
import { UserAgent } from './helpers/user-agent.ts';

describe('enterprise sign-in with OpenID Connect (a second oidc-provider as the company IdP)', () => {
  let server: RunningServer;
  let app: TestClient;
  let upstream: UpstreamOidcProvider;
  let connectionId: string;
  const clientSecret = 'upstream-client-secret-0123456789abcdef';

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    upstream = await UpstreamOidcProvider.listen('/tenant-1/v2.0');
    const organization = await server.services.orgs.organizationService.create({ name: 'Globex', domains: ['globex.test'], verifiedByOperator: true });
    const created = await server.services.federation.connectionSetup.createOidc({
      organizationId: organization.id,
      enabledByOperator: true,
      name: 'Globex IdP',
      issuer: upstream.issuer,
      clientId: 'signin-service',
      clientSecret,
      enforceSso: false,
    });
    connectionId = created.id;
    await upstream.configure({
      clients: [
        {
          client_id: 'signin-service',
          client_secret: clientSecret,
          redirect_uris: [created.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      account: {
        sub: 'globex-0001',
        claims: { email: 'hank@globex.test', email_verified: true, given_name: 'Hank', family_name: 'Scorpio', name: 'Hank Scorpio' },
      },
    });
  });
  afterAll(async () => {
    await upstream?.close();
    await server?.close();
  });

  async function toUpstream(loginHint?: string) {
    const agent = new UserAgent();
    const started = await startInteraction(agent, app);
    const redirect = await beginFederated(agent, server.url, started.uid, connectionId, loginHint);
    expect(redirect.status).toBe(302);
    return { agent, ...started, location: redirect.headers.get('location')! };
  }

  /** Follows the upstream (which signs its account in at once) back to our callback, without following it. */
  async function upstreamAnswer(agent: UserAgent, location: string) {
    let response = await agent.request(location);
    for (let hops = 0; hops < 10 && !response.headers.get('location')?.includes('/federation/'); hops += 1) {
      response = await agent.request(new URL(response.headers.get('location')!, response.url).toString());
    }
    return new URL(response.headers.get('location')!, response.url);
  }

  it('stores the client secret encrypted', async () => {
    const row = await server.services.db.selectFrom('federation_connections').selectAll().where('id', '=', connectionId).executeTakeFirstOrThrow();
    expect(row.secrets_encrypted).toBeTruthy();
    expect(row.secrets_encrypted).not.toContain(clientSecret);
    expect(JSON.stringify(row.settings)).not.toContain(clientSecret);
  });

  it('signs in with code flow + PKCE + nonce, passes the email as login_hint and creates the user just in time', async () => {
    const { agent, location, request } = await toUpstream('hank@globex.test');
    const authorize = new URL(location);
    expect(authorize.origin + authorize.pathname).toBe(`${upstream.issuer}/auth`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('login_hint')).toBe('hank@globex.test');

    const callback = await upstreamAnswer(agent, location);
    expect(callback.searchParams.get('iss')).toBe(upstream.issuer);
    const end = await resume(agent, await agent.request(callback.toString()));
    expect(end.url.startsWith(redirectUri), end.body.slice(0, 500)).toBe(true);
    const tokens = await exchangeCode(app.config, end.url, request);
    const userinfo = await client.fetchUserInfo(app.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email: 'hank@globex.test', email_verified: true, name: 'Hank Scorpio', given_name: 'Hank' });
    expect(upstream.lastAuthorizationParams?.login_hint).toBe('hank@globex.test');
  });

  it('refuses an answer whose issuer is not the connection’s (mix-up), and a forged state', async () => {
    const { agent, location } = await toUpstream();
    const callback = await upstreamAnswer(agent, location);
    const mixedUp = new URL(callback);
    mixedUp.searchParams.set('iss', 'http://127.0.0.1:9/other-idp');
    const refused = await resume(agent, await agent.request(mixedUp.toString()));
    expect(refused.url.startsWith(redirectUri)).toBe(false);
    expect(refused.$('[role=alert]').text()).toMatch(/could not be verified/);

    const forged = new URL(callback);
    forged.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const page = await agent.request(forged.toString());
    expect(page.status).toBe(400);
    expect(page.$('[role=alert]').text()).toMatch(/does not belong to a sign-in started here/);
  });

  it('refuses a replayed callback (the code and state were used)', async () => {
    const { agent, location } = await toUpstream();
    const callback = await upstreamAnswer(agent, location);
    const toResume = await agent.request(callback.toString());
    const first = await agent.request(new URL(toResume.headers.get('location')!, server.url).toString());
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toContain('/auth/');
    const again = await resume(agent, await agent.request(callback.toString()));
    expect(again.url.startsWith(redirectUri)).toBe(false);
    expect(again.$('[role=alert]').text()).toMatch(/could not be verified/);
  });

  it('shows a clear page with a way back when the user cancels at the company IdP', async () => {
    upstream.behaviour = 'deny';
    try {
      const { agent, location, uid } = await toUpstream();
      const callback = await upstreamAnswer(agent, location);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      const page = await resume(agent, await agent.request(callback.toString()));
      expect(page.$('[role=alert]').text()).toMatch(/cancelled/);
      expect(page.$(`a[href="/interaction/${uid}/federated/${connectionId}?client_id=${app.clientId}"]`).text()).toMatch(/Try again/);
      expect(page.$(`a[href="/interaction/${uid}?client_id=${app.clientId}"]`).text()).toMatch(/Sign in another way/);
    } finally {
      upstream.behaviour = 'login';
    }
  });

  it('refuses an unverified email from the company IdP', async () => {
    const previous = upstream.account;
    upstream.account = { sub: 'globex-0002', claims: { email: 'ivy@globex.test', email_verified: false } };
    try {
      const { agent, location } = await toUpstream();
      const page = await resume(agent, await agent.request((await upstreamAnswer(agent, location)).toString()));
      expect(page.$('[role=alert]').text()).toMatch(/did not confirm that your email address is verified/);
      expect(await server.services.accounts.repository.findByEmail('ivy@globex.test')).toBeUndefined();
    } finally {
      upstream.account = previous;
    }
  });

  it('shows a clear page when the company IdP cannot be reached', async () => {
    const organization = await server.services.orgs.organizationService.create({ name: 'Offline Inc', domains: [], verifiedByOperator: false });
    const offline = await server.services.federation.connectionSetup.createOidc({
      organizationId: organization.id,
      enabledByOperator: true,
      name: 'Offline',
      issuer: 'http://127.0.0.1:9/nowhere',
      clientId: 'x',
      clientSecret: 'y',
      enforceSso: false,
    });
    const agent = new UserAgent();
    const { uid } = await startInteraction(agent, app);
    const redirect = await beginFederated(agent, server.url, uid, offline.id);
    const page = await agent.follow(new URL(redirect.headers.get('location')!, server.url).toString());
    expect(page.status).toBe(502);
    expect(page.$('[role=alert]').text()).toMatch(/cannot be reached/);
    expect(page.$(`a[href="/interaction/${uid}?client_id=${app.clientId}"]`).length).toBe(1);
  });
});
