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
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const email = 'katherine@example.com';
const password = 'orbital mechanics 1962';

const isConsentPage = (page: PageResponse) => page.$('form[action*="/consent"]').length === 1;
const permissionsOf = (page: PageResponse) =>
  page
    .$('.permissions li')
    .map((_, li) => page.$(li).text().trim())
    .get();

describe('consent', () => {
  let server: RunningServer;
  let firstParty: TestClient;
  let thirdParty: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    firstParty = await registerRelyingParty(server, { firstParty: true, allowedResources: ['https://api.example.test/'] });
    thirdParty = await registerRelyingParty(server, { firstParty: false });
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('does not ask consent for a first-party app', async () => {
    const request = await authorizationRequest(firstParty.config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    expect(callback.url.startsWith(`${redirectUri}?code=`)).toBe(true);
  });

  it('does not ask a first-party app consent for more scopes, claims or API scopes later in the session', async () => {
    await server.services.oidc.resourceServers.register({
      identifier: 'https://api.example.test/',
      name: 'API',
      scopes: ['api:read', 'api:write'],
      signingAlg: 'RS256',
    });
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
    expect(
      consent
        .$('.permissions li')
        .map((_, li) => consent.$(li).text().trim())
        .get(),
    ).toEqual(['Know who you are', 'See your email address']);

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

  it('remembers consent per account and app: not asked again after signing out nor on another device; only new scopes are asked', async () => {
    const grace = 'grace@example.com';
    await server.services.accounts.service.createAccount({ email: grace, password, emailVerified: true });
    const laptop = new UserAgent();
    const request = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    const consent = await signInThroughBrowserless(laptop, request.url, grace, password);
    expect(isConsentPage(consent)).toBe(true);
    const callback = await laptop.submit(consent, 'form[action*="/consent"]', {}, redirectUri);
    const tokens = await exchangeCode(thirdParty.config, callback.url, request);

    // RP-initiated logout ends the session, and with it the session's grant.
    const logoutUrl = client.buildEndSessionUrl(thirdParty.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: postLogoutRedirectUri });
    const confirmation = await laptop.follow(logoutUrl.toString());
    await laptop.submit(confirmation, 'form#op\\.logoutForm', { logout: 'yes' }, postLogoutRedirectUri);

    // Signing in again in the same browser goes straight back to the app...
    const again = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    const laptopCallback = await signInThroughBrowserless(laptop, again.url, grace, password);
    expect(new URL(laptopCallback.url).searchParams.get('code'), laptopCallback.body.slice(0, 300)).toBeTruthy();

    // ...and so does a first sign-in on another device.
    const phone = new UserAgent();
    const onPhone = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    const phoneCallback = await signInThroughBrowserless(phone, onPhone.url, grace, password);
    expect(new URL(phoneCallback.url).searchParams.get('code'), phoneCallback.body.slice(0, 300)).toBeTruthy();
    const phoneTokens = await exchangeCode(thirdParty.config, phoneCallback.url, onPhone);
    expect(await client.fetchUserInfo(thirdParty.config, phoneTokens.access_token, phoneTokens.claims()!.sub)).toMatchObject({ email: grace });

    // An extra scope brings the consent page back, listing only what is new (beside who you are).
    const more = await authorizationRequest(thirdParty.config, { scope: 'openid email profile' });
    const moreConsent = await phone.follow(more.url, {}, redirectUri);
    expect(isConsentPage(moreConsent)).toBe(true);
    expect(permissionsOf(moreConsent)).toEqual(['Know who you are', 'See your name and language']);
    const moreCallback = await phone.submit(moreConsent, 'form[action*="/consent"]', {}, redirectUri);
    expect(new URL(moreCallback.url).searchParams.get('code')).toBeTruthy();

    // What was added on the phone holds on the laptop too.
    const onLaptop = await authorizationRequest(thirdParty.config, { scope: 'openid email profile' });
    const silent = await laptop.follow(onLaptop.url, {}, redirectUri);
    expect(new URL(silent.url).searchParams.get('code'), silent.body.slice(0, 300)).toBeTruthy();
  });

  it('records nothing when the user denies', async () => {
    const ida = 'ida@example.com';
    await server.services.accounts.service.createAccount({ email: ida, password, emailVerified: true });
    const laptop = new UserAgent();
    const request = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    const consent = await signInThroughBrowserless(laptop, request.url, ida, password);
    await laptop.submit(consent, 'form[action*="/consent"]', {}, redirectUri);

    const more = await authorizationRequest(thirdParty.config, { scope: 'openid email profile' });
    const moreConsent = await laptop.follow(more.url, {}, redirectUri);
    const denied = await laptop.submit(moreConsent, 'form[action*="/abort"]', {}, redirectUri);
    expect(new URL(denied.url).searchParams.get('error')).toBe('access_denied');

    // On another device, the denied scope is asked again; what was allowed before is not.
    const phone = new UserAgent();
    const onPhone = await authorizationRequest(thirdParty.config, { scope: 'openid email profile' });
    const phoneConsent = await signInThroughBrowserless(phone, onPhone.url, ida, password);
    expect(isConsentPage(phoneConsent)).toBe(true);
    expect(permissionsOf(phoneConsent)).toEqual(['Know who you are', 'See your name and language']);
    const account = await server.services.accounts.repository.findByEmail(ida);
    expect(await server.services.consents.find(account!.id, thirdParty.clientId)).toEqual({ scopes: ['openid', 'email'], claims: [], resourceScopes: {} });

    // A first denial records nothing at all.
    const ada = 'ada.denies@example.com';
    await server.services.accounts.service.createAccount({ email: ada, password, emailVerified: true });
    const agent = new UserAgent();
    const deniedFirst = await signInThroughBrowserless(agent, (await authorizationRequest(thirdParty.config)).url, ada, password);
    await agent.submit(deniedFirst, 'form[action*="/abort"]', {}, redirectUri);
    const adaAccount = await server.services.accounts.repository.findByEmail(ada);
    expect(await server.services.consents.find(adaAccount!.id, thirdParty.clientId)).toBeUndefined();
    expect(isConsentPage(await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(thirdParty.config)).url, ada, password))).toBe(true);
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
