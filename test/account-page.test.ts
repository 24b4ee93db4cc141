import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { enterEmail, signInThroughBrowserless } from './helpers/sign-in.ts';
import { closeSocialStandIns, configureSocialStandIns, listenSocialStandIns, type SocialStandIns, socialSettings } from './helpers/social-upstreams.ts';
import { startTestServer } from './helpers/test-server.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

describe('My account (/account)', () => {
  let server: RunningServer;
  let standIns: SocialStandIns;

  beforeAll(async () => {
    standIns = await listenSocialStandIns();
    server = await startTestServer({ overrides: { social: socialSettings(standIns) } });
    await configureSocialStandIns(standIns, server.url);
  });
  afterAll(async () => {
    await closeSocialStandIns(standIns);
    await server?.close();
  });

  const pathOf = (page: PageResponse) => new URL(page.url).pathname;
  const methodNames = (page: PageResponse) =>
    page
      .$('.account-method-name')
      .map((_, element) => page.$(element).text().trim())
      .get();

  /** Opens /account signed out: the sign-in pages, then back to the account page. */
  async function signInToAccount(agent: UserAgent, email: string, password: string): Promise<PageResponse> {
    const first = await agent.follow(`${server.url}/account`);
    const passwordPage = await enterEmail(agent, first, email);
    const page = await agent.submit(passwordPage, 'form[action*="/password"]', { password });
    expect(pathOf(page), page.body.slice(0, 500)).toBe('/account');
    return page;
  }

  async function newAccount(email: string, password = 'a long passphrase 42') {
    return server.services.accounts.service.createAccount({ email, password, name: 'Test Person', emailVerified: true });
  }

  it('sends a signed-out visitor through the ordinary sign-in (first-party client, nothing issued) and shows the profile', async () => {
    await newAccount('rosalind@example.com');
    const agent = new UserAgent();
    const redirect = await agent.request(`${server.url}/account`);
    expect(redirect.status).toBe(302);
    const authorize = new URL(redirect.headers.get('location')!, server.url);
    expect(authorize.pathname).toBe('/auth');
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: 'account',
      response_type: 'none',
      redirect_uri: `${server.url}/account/signed-in`,
    });

    const page = await signInToAccount(agent, 'rosalind@example.com', 'a long passphrase 42');
    expect(page.$('h1').text()).toBe('My account');
    expect(page.$('.account-profile').text()).toMatch(/rosalind@example\.com/);
    expect(methodNames(page)).toEqual(['Password']);
    expect(
      page
        .$('form[action="/account/link"] button')
        .map((_, button) => page.$(button).text().trim())
        .get(),
    ).toEqual(['Link Google', 'Link Microsoft', 'Link LinkedIn', 'Link Facebook']);

    const french = await agent.request(`${server.url}/account?lang=fr`);
    expect(french.$('h1').text()).toBe('Mon compte');
  });

  it('links a provider from the account page, then unlinks it', async () => {
    await newAccount('dorothy@example.com');
    const agent = new UserAgent();
    const page = await signInToAccount(agent, 'dorothy@example.com', 'a long passphrase 42');
    standIns.google.account = { sub: 'google-dorothy', claims: { email: 'dorothy.h@gmail.test', email_verified: true } };
    const linked = await agent.submit(page, 'form[action="/account/link"]', { provider: 'google' });
    expect(pathOf(linked)).toBe('/account');
    expect(linked.$('[role=status]').text()).toMatch(/Google is linked/);
    expect(methodNames(linked)).toEqual(['Password', 'Google']);
    const account = await server.services.accounts.repository.findByEmail('dorothy@example.com');
    expect(await server.services.federation.identities.listOfAccount(account!.id)).toMatchObject([
      { connection_id: 'social-google', subject: 'google-dorothy' },
    ]);

    const unlinked = await agent.submit(linked, 'form[action="/account/unlink"]', {});
    expect(unlinked.$('[role=status]').text()).toMatch(/Google is unlinked/);
    expect(methodNames(unlinked)).toEqual(['Password']);
  });

  it('never unlinks the last way to sign in', async () => {
    standIns.google.account = { sub: 'google-only-user', claims: { email: 'hedy@gmail.test', email_verified: true } };
    const agent = new UserAgent();
    const first = await agent.follow(`${server.url}/account`);
    const page = await agent.submit(first, 'form[action*="/social?"]', { provider: 'google' });
    expect(pathOf(page), page.body.slice(0, 300)).toBe('/account');
    expect(methodNames(page)).toEqual(['Password', 'Google']);
    expect(page.$('form[action="/account/unlink"]').length).toBe(0);
    expect(page.$('.account-methods').text()).toMatch(/only way to sign in/);

    const forced = await agent.request(`${server.url}/account/unlink`, {
      form: { _csrf: String(page.$('input[name=_csrf]').first().val()), connection: 'social-google' },
    });
    expect(forced.status).toBe(303);
    const after = await agent.follow(new URL(forced.headers.get('location')!, server.url).toString());
    expect(after.$('[role=status]').text()).toMatch(/only way to sign in/);
    const account = await server.services.accounts.repository.findByEmail('hedy@gmail.test');
    expect(await server.services.federation.identities.listOfAccount(account!.id)).toHaveLength(1);
  });

  it("names a company sign-in without decrypting the connection's secrets (the page works when they cannot be decrypted)", async () => {
    const account = await newAccount('grace@example.com');
    const { db } = server.services;
    // A company IdP whose stored secret no key can open (as after a lost KEY_ENCRYPTION_SECRET).
    await sql`insert into federation_connections (id, type, name, settings, secrets_encrypted)
      values ('oidc-unreadable', 'oidc', 'Navy IdP', '{}', 'not.a.sealed.value')`.execute(db);
    await sql`insert into federated_identities (connection_id, subject, account_id, email, last_sign_in_at)
      values ('oidc-unreadable', 'grace-at-navy', ${account.id}, 'grace@navy.test', now())`.execute(db);
    const page = await signInToAccount(new UserAgent(), 'grace@example.com', 'a long passphrase 42');
    expect(page.status).toBe(200);
    expect(methodNames(page)).toEqual(['Password', 'Navy IdP']);
  });

  it('does not link an identity that belongs to another account, and says so when the person cancels at the provider', async () => {
    await newAccount('mae@example.com');
    const agent = new UserAgent();
    const page = await signInToAccount(agent, 'mae@example.com', 'a long passphrase 42');
    standIns.google.account = { sub: 'google-only-user', claims: { email: 'hedy@gmail.test', email_verified: true } };
    const refused = await agent.submit(page, 'form[action="/account/link"]', { provider: 'google' });
    expect(refused.$('[role=status]').text()).toMatch(/already linked to another account/);
    expect(methodNames(refused)).toEqual(['Password']);

    // A browser without a session at the provider, where the person cancels.
    const other = new UserAgent();
    const fresh = await signInToAccount(other, 'mae@example.com', 'a long passphrase 42');
    standIns.google.behaviour = 'deny';
    try {
      const cancelled = await other.submit(fresh, 'form[action="/account/link"]', { provider: 'google' });
      expect(cancelled.$('[role=status]').text()).toMatch(/You cancelled linking Google/);
    } finally {
      standIns.google.behaviour = 'login';
    }
  });

  it('lists the third-party apps allowed; Remove access forgets the consent and revokes the refresh token', async () => {
    const password = 'a long passphrase 42';
    await newAccount('annie.easley@example.com', password);
    const firstParty = await registerRelyingParty(server, { firstParty: true });
    const app = await registerRelyingParty(server, { firstParty: false });
    const agent = new UserAgent();
    await signInThroughBrowserless(agent, (await authorizationRequest(firstParty.config)).url, 'annie.easley@example.com', password);
    // offline_access (a refresh token) is granted to a third-party app only with prompt=consent.
    const request = await authorizationRequest(app.config, { scope: 'openid email offline_access', prompt: 'consent' });
    const consent = await agent.follow(request.url, {}, redirectUri);
    const callback = await agent.submit(consent, 'form[action*="/consent"]', {}, redirectUri);
    const tokens = await exchangeCode(app.config, callback.url, request);
    expect(tokens.refresh_token).toBeTruthy();

    const page = await agent.follow(`${server.url}/account`);
    const apps = page.$('.account-apps > li');
    expect(apps.length, page.$('#apps-heading').parent().text()).toBe(1);
    expect(apps.find('.account-method-name').text()).toBe('Test App');
    expect(
      apps
        .find('.permissions li')
        .map((_, li) => page.$(li).text().trim())
        .get(),
    ).toEqual(['Know who you are', 'See your email address', 'Stay connected when you are away']);
    expect(page.$('#apps-heading').text()).toBe('Apps you have allowed');
    expect((await agent.request(`${server.url}/account?lang=fr`)).$('#apps-heading').text()).toBe('Applications que vous avez autorisées');
    await agent.request(`${server.url}/account?lang=en`);

    const noToken = await agent.request(`${server.url}/account/apps/remove`, { form: { client: app.clientId } });
    expect(noToken.status).toBe(403);
    // Refresh tokens rotate: the new one is what the app holds.
    const { refresh_token: refreshToken } = await client.refreshTokenGrant(app.config, tokens.refresh_token!);
    expect(refreshToken).toBeTruthy();

    const removed = await agent.submit(page, 'form[action="/account/apps/remove"]', {});
    expect(pathOf(removed)).toBe('/account');
    expect(removed.$('[role=status]').text()).toMatch(/no longer has access/);
    expect(removed.$('.account-apps').length).toBe(0);

    await expect(client.refreshTokenGrant(app.config, refreshToken!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The same browser session is asked consent again, as is a new sign-in.
    const again = await agent.follow((await authorizationRequest(app.config, { scope: 'openid email' })).url, {}, redirectUri);
    expect(again.$('form[action*="/consent"]').length, again.body.slice(0, 300)).toBe(1);
  });

  it('changes the password: the current one is required, the policy applies, and every session ends', async () => {
    await newAccount('katherine@example.com', 'orbital mechanics 1962');
    const agent = new UserAgent();
    const page = await signInToAccount(agent, 'katherine@example.com', 'orbital mechanics 1962');

    const wrong = await agent.submit(page, 'form[action="/account/password"]', { current_password: 'not my password', new_password: 'trajectories 1969' });
    expect(wrong.status).toBe(400);
    expect(wrong.$('#current_password-error').text()).toMatch(/current password is not correct/);

    const weak = await agent.submit(page, 'form[action="/account/password"]', { current_password: 'orbital mechanics 1962', new_password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.$('#new_password-error').text()).toMatch(/at least 8 characters/);

    const noToken = await agent.request(`${server.url}/account/password`, {
      form: { current_password: 'orbital mechanics 1962', new_password: 'trajectories 1969' },
    });
    expect(noToken.status).toBe(403);

    const done = await agent.submit(page, 'form[action="/account/password"]', {
      current_password: 'orbital mechanics 1962',
      new_password: 'trajectories 1969',
    });
    expect(done.$('h1').text()).toBe('Password changed');
    expect((await agent.request(`${server.url}/account`)).status).toBe(302);
    expect(await server.services.accounts.service.authenticateWithPassword('katherine@example.com', 'orbital mechanics 1962')).toBeUndefined();
    await signInToAccount(new UserAgent(), 'katherine@example.com', 'trajectories 1969');
  });
});
