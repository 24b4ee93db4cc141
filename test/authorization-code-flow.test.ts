import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
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
import { UserAgent } from './helpers/user-agent.ts';

describe('authorization code flow with openid-client as the product app', () => {
  let server: RunningServer;
  let app: TestClient;
  const email = 'ada@example.com';
  const password = 'analytical engine 1843';

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    await server.services.accounts.service.createAccount({ email, password, name: 'Ada Lovelace', emailVerified: true });
  });
  afterAll(() => server?.close());

  it('signs in, validates the ID token, reads userinfo, refreshes, introspects, revokes and logs out', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(agent, request.url, email, password);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    expect(new URL(callback.url).searchParams.get('iss')).toBe(server.services.config.issuer);

    const tokens = await exchangeCode(app.config, callback.url, request);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(server.services.config.issuer);
    expect(claims.aud).toBe(app.clientId);
    expect(claims.nonce).toBe(request.nonce);
    expect(tokens.refresh_token).toBeTruthy();

    const userinfo = await client.fetchUserInfo(app.config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, email, email_verified: true, name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' });

    const refreshed = await client.refreshTokenGrant(app.config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const active = await client.tokenIntrospection(app.config, refreshed.access_token);
    expect(active).toMatchObject({ active: true, sub: claims.sub, client_id: app.clientId });

    await client.tokenRevocation(app.config, refreshed.access_token);
    expect((await client.tokenIntrospection(app.config, refreshed.access_token)).active).toBe(false);

    const logoutUrl = client.buildEndSessionUrl(app.config, {
      id_token_hint: refreshed.id_token ?? tokens.id_token!,
      post_logout_redirect_uri: postLogoutRedirectUri,
      state: 'bye',
    });
    const confirmation = await agent.follow(logoutUrl.toString());
    expect(confirmation.status).toBe(200);
    const signedOut = await agent.submit(confirmation, 'form#op\\.logoutForm', { logout: 'yes' }, postLogoutRedirectUri);
    expect(signedOut.url).toBe(`${postLogoutRedirectUri}?state=bye`);

    // The session is gone: a new authorization request asks who signs in again.
    const again = await agent.follow((await authorizationRequest(app.config)).url, {}, redirectUri);
    expect(again.$('form[action*="/identifier"] input[name=email]').length).toBe(1);
  });
});
