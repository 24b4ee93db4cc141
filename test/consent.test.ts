import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const email = 'katherine@example.com';
const password = 'orbital mechanics 1962';

const isConsentPage = (page: PageResponse) => page.$('form[action*="/consent"]').length === 1;

describe('consent', () => {
  let server: RunningServer;
  let firstParty: TestClient;
  let thirdParty: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    firstParty = await registerRelyingParty(server, { firstParty: true });
    thirdParty = await registerRelyingParty(server, { firstParty: false });
    await server.services.accountService.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('does not ask consent for a first-party app', async () => {
    const request = await authorizationRequest(firstParty.config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    expect(callback.url.startsWith(`${redirectUri}?code=`)).toBe(true);
  });

  it('does not ask a first-party app consent for more scopes, claims or API scopes later in the session', async () => {
    await server.services.resourceServers.register({ identifier: 'https://api.example.test/', name: 'API', scopes: ['api:read', 'api:write'], signingAlg: 'RS256' });
    const agent = new UserAgent();
    const first = await authorizationRequest(firstParty.config, { scope: 'openid' });
    await signInThroughBrowserless(agent, first.url, email, password);

    const more = await authorizationRequest(firstParty.config, {
      scope: 'openid email profile api:read',
      claims: JSON.stringify({ id_token: { email: null } }),
      resource: 'https://api.example.test/',
    });
    const callback = await agent.follow(more.url, {}, redirectUri);
    expect(callback.url.startsWith(`${redirectUri}?code=`), callback.body.slice(0, 300)).toBe(true);
    const tokens = await exchangeCode(firstParty.config, callback.url, more);
    expect(tokens.claims()?.email).toBe(email);
    expect(tokens.scope?.split(' ')).toEqual(['api:read']);
  });

  it('asks consent for a third-party app; Allow continues to the app, and it is not asked again', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    const consent = await signInThroughBrowserless(agent, request.url, email, password);
    expect(consent.status).toBe(200);
    expect(isConsentPage(consent)).toBe(true);
    expect(consent.$('h1').text()).toBe('Allow access?');
    expect(consent.$('.permissions li').map((_, li) => consent.$(li).text().trim()).get()).toEqual(['Know who you are', 'See your email address']);

    const callback = await agent.submit(consent, 'form[action*="/consent"]', {}, redirectUri);
    const tokens = await exchangeCode(thirdParty.config, callback.url, request);
    expect(tokens.claims()?.aud).toBe(thirdParty.clientId);
    expect(await client.fetchUserInfo(thirdParty.config, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ email });

    // Another authorization request in the same browser goes straight back to the app...
    const again = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    const silent = await agent.follow(again.url, {}, redirectUri);
    expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();

    // ...and so does a fresh sign-in with the password.
    const relogin = await authorizationRequest(thirdParty.config, { scope: 'openid email', prompt: 'login' });
    const afterPassword = await signInThroughBrowserless(agent, relogin.url, email, password);
    expect(new URL(afterPassword.url).searchParams.get('code')).toBeTruthy();
    await exchangeCode(thirdParty.config, afterPassword.url, relogin);

    // Only a scope not consented yet brings the consent page back, listing what is new.
    const more = await authorizationRequest(thirdParty.config, { scope: 'openid email profile' });
    const moreConsent = await agent.follow(more.url, {}, redirectUri);
    expect(isConsentPage(moreConsent)).toBe(true);
  });

  it('returns access_denied to the app when the user denies', async () => {
    const request = await authorizationRequest(thirdParty.config);
    const agent = new UserAgent();
    const consent = await signInThroughBrowserless(agent, request.url, email, password);
    expect(isConsentPage(consent)).toBe(true);

    const callback = await agent.submit(consent, 'form[action*="/abort"]', {}, redirectUri);
    const params = new URL(callback.url).searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe(request.state);
    expect(params.get('code')).toBeNull();
  });

  it('answers consent_required to a silent request from a third-party app not consented yet', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(thirdParty.config, { scope: 'openid profile' });
    const consent = await signInThroughBrowserless(agent, request.url, email, password);
    expect(isConsentPage(consent)).toBe(true);

    const silent = await authorizationRequest(thirdParty.config, { scope: 'openid profile', prompt: 'none' });
    const response = await agent.follow(silent.url, {}, redirectUri);
    expect(new URL(response.url).searchParams.get('error')).toBe('consent_required');
  });
});
