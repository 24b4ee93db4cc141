import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/factors/totp.ts';
import { enrolAuthenticatorApp } from './helpers/authenticator.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { LogoutListener } from './helpers/logout-listener.ts';
import { type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { until } from './helpers/until.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'correct horse battery staple';
const firefoxOnLinux = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const safariOnIphone =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const chromeOnWindows = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('My account: trusted devices and sessions', () => {
  let withMail: ServerWithMail;
  let app: TestClient;
  let accountSeq = 0;
  const listener = new LogoutListener();

  beforeAll(async () => {
    withMail = await startServerWithMail();
    await listener.listen();
    app = await registerRelyingParty(withMail.server, { backchannelLogoutUri: listener.url, backchannelLogoutSessionRequired: true });
  });
  afterAll(async () => {
    await listener.close();
    await withMail?.close();
  });

  const services = () => withMail.server.services;
  const url = (path: string) => `${withMail.server.url}${path}`;

  async function newAccount() {
    const email = `traveller${++accountSeq}@sessions.test`;
    const account = await services().accounts.service.createAccount({ email, password, emailVerified: true });
    return { ...account, email };
  }

  async function withAuthenticator() {
    const account = await newAccount();
    return { account, ...(await enrolAuthenticatorApp(withMail.server, account)) };
  }

  /** Email and password through the app's sign-in, up to the page that follows (or the app's callback). */
  async function signIn(agent: UserAgent, email: string, params: Record<string, string> = {}): Promise<PageResponse> {
    const started = await startInteraction(agent, app, params);
    const passwordPage = await enterEmail(agent, started.page, email);
    return agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
  }

  /** Signs in to the app (no factor); returns the app's tokens (the ID token's sid is this browser's session at the app). */
  async function signInToApp(agent: UserAgent, email: string) {
    const started = await startInteraction(agent, app, { prompt: 'login' });
    const passwordPage = await enterEmail(agent, started.page, email);
    const callback = await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
    return exchangeCode(app.config, callback.url, started.request);
  }

  const sessionsPage = (agent: UserAgent) => agent.follow(url('/account/sessions'));
  const signedIn = async (agent: UserAgent) => (await agent.request(url('/account'))).status === 200;
  const deliveries = async () => services().oidc.logoutDeliveries.listOfClient(services().db, app.clientId);
  const refreshes = async (refreshToken: string) =>
    client.refreshTokenGrant(app.config, refreshToken).then(
      () => true,
      () => false,
    );
  /** The list entries of a section of the page, as text. */
  const entries = (page: PageResponse, list: string) =>
    page
      .$(`${list} > li`)
      .map((_, item) => page.$(item).text().replace(/\s+/g, ' ').trim())
      .get();

  const confirm = (agent: UserAgent, page: PageResponse, code: string, extra: Record<string, string> = {}) =>
    agent.submit(page, 'form[action*="/confirm?"]', { code, ...extra }, redirectUri);

  it('ends device trust on "sign out everywhere": the trusted browser is asked for the factor again', async () => {
    const { account, secret } = await withAuthenticator();
    const laptop = new UserAgent();
    const asked = await signIn(laptop, account.email);
    expect(asked.$('h1').text()).toBe("Confirm it's you");
    expect((await confirm(laptop, asked, totpCodeAt(secret, new Date()), { trust: 'on' })).url.startsWith(redirectUri)).toBe(true);
    // Trusted: the next sign-in on this browser is not asked.
    expect((await signIn(laptop, account.email, { prompt: 'login' })).url.startsWith(redirectUri)).toBe(true);

    const confirmation = await laptop.follow(url('/account/sign-out-everywhere'));
    await laptop.submit(confirmation, 'form[action="/account/sign-out-everywhere"]', {});
    const again = await signIn(laptop, account.email);
    expect(again.$('h1').text()).toBe("Confirm it's you");
  });

  it('lists the sessions of the account with their browser, time and apps, this one marked, in English and French', async () => {
    const account = await newAccount();
    const laptop = new UserAgent({ 'user-agent': firefoxOnLinux });
    const phone = new UserAgent({ 'user-agent': safariOnIphone });
    await signInToApp(phone, account.email);
    await signInToApp(laptop, account.email);
    const page = await sessionsPage(laptop);
    expect(page.status).toBe(200);
    expect(page.$('h1').text()).toBe('Devices and sessions');
    const [current, other] = entries(page, 'ul.account-sessions');
    expect(current).toMatch(/^Firefox · Linux This device signed in .+ Apps: Test App$/);
    expect(other).toMatch(/^Safari · iOS signed in .+ Apps: Test App Sign out Safari · iOS$/);
    // The current session has no remove button: "Sign out" ends it.
    expect(page.$('ul.account-sessions > li[aria-current] form').length).toBe(0);
    expect(page.$('ul.account-sessions > li:not([aria-current]) button').length).toBe(1);
    expect((await laptop.request(url('/account/sessions?lang=fr'))).$('h1').text()).toBe('Appareils et sessions');
    await laptop.request(url('/account/sessions?lang=en'));
    // My account links to it; a signed-out visitor is sent to sign in.
    expect((await laptop.follow(url('/account'))).$('a[href="/account/sessions"]').length).toBe(1);
    const stranger = await new UserAgent().request(url('/account/sessions'));
    expect(new URL(stranger.headers.get('location')!, url('/')).pathname).toBe('/account');
  });

  it('removes another session: its refresh tokens are revoked and its app is told (back-channel logout); the others stay', async () => {
    const account = await newAccount();
    const laptop = new UserAgent({ 'user-agent': firefoxOnLinux });
    const phone = new UserAgent({ 'user-agent': safariOnIphone });
    const phoneTokens = await signInToApp(phone, account.email);
    const laptopTokens = await signInToApp(laptop, account.email);
    const page = await sessionsPage(laptop);
    const phoneSession = String(page.$('ul.account-sessions > li:not([aria-current]) input[name=session]').val());

    // Without the form's token nothing happens.
    const forged = await laptop.request(url('/account/sessions/remove'), { form: { session: phoneSession } });
    expect(forged.status).toBe(403);
    expect(await signedIn(phone)).toBe(true);

    const removed = await laptop.submit(page, 'ul.account-sessions > li:not([aria-current]) form', {});
    expect(removed.$('.notice').text()).toMatch(/signed out/);
    expect(entries(removed, 'ul.account-sessions')).toHaveLength(1);
    expect(await signedIn(phone)).toBe(false);
    expect(await signedIn(laptop)).toBe(true);
    expect(await refreshes(phoneTokens.refresh_token!)).toBe(false);
    expect(await refreshes(laptopTokens.refresh_token!)).toBe(true);
    const phoneSid = phoneTokens.claims()!.sid;
    expect((await deliveries()).filter((delivery) => delivery.subject === account.id)).toEqual([
      expect.objectContaining({ sid: phoneSid, reason: 'session_removed' }),
    ]);
    await until(async () => (listener.tokens.some((token) => decodeJwt(token).sid === phoneSid) ? true : undefined), "the phone session's logout token");
  });

  it('"Sign out other sessions" keeps this one (and its tokens), ends the others and tells their apps', async () => {
    const account = await newAccount();
    const laptop = new UserAgent({ 'user-agent': firefoxOnLinux });
    const phone = new UserAgent({ 'user-agent': safariOnIphone });
    const desktop = new UserAgent({ 'user-agent': chromeOnWindows });
    const phoneTokens = await signInToApp(phone, account.email);
    const desktopTokens = await signInToApp(desktop, account.email);
    const laptopTokens = await signInToApp(laptop, account.email);
    const page = await sessionsPage(laptop);
    expect(entries(page, 'ul.account-sessions')).toHaveLength(3);
    const forged = await laptop.request(url('/account/sessions/sign-out-others'), { form: {} });
    expect(forged.status).toBe(403);

    const done = await laptop.submit(page, 'form[action="/account/sessions/sign-out-others"]', {});
    expect(done.$('.notice').text()).toBe('Every other device is signed out.');
    expect(entries(done, 'ul.account-sessions')).toEqual([expect.stringMatching(/^Firefox · Linux This device/)]);
    expect(done.$('form[action="/account/sessions/sign-out-others"]').length).toBe(0);
    for (const [browser, stays] of [
      [laptop, true],
      [phone, false],
      [desktop, false],
    ] as const)
      expect(await signedIn(browser)).toBe(stays);
    expect(await refreshes(laptopTokens.refresh_token!)).toBe(true);
    for (const tokens of [phoneTokens, desktopTokens]) expect(await refreshes(tokens.refresh_token!)).toBe(false);
    const told = (await deliveries()).filter((delivery) => delivery.subject === account.id);
    expect(told.map((delivery) => delivery.sid).sort()).toEqual([phoneTokens.claims()!.sid, desktopTokens.claims()!.sid].sort());
    expect(told.every((delivery) => delivery.reason === 'other_sessions_signed_out')).toBe(true);
  });

  it('lists the trusted devices (last used, trusted until), each removable; signing out other sessions ends the trust of the others', async () => {
    const { account, secret, recoveryCodes } = await withAuthenticator();
    const laptop = new UserAgent({ 'user-agent': firefoxOnLinux });
    const phone = new UserAgent({ 'user-agent': safariOnIphone });
    const desktop = new UserAgent({ 'user-agent': chromeOnWindows });
    // Each code works once: this step's, the next step's, then a recovery code.
    const proofs: Array<Record<string, string>> = [
      { code: totpCodeAt(secret, new Date()) },
      { code: totpCodeAt(secret, new Date(Date.now() + 30_000)) },
      { code: recoveryCodes[0]!, method: 'recovery_code' },
    ];
    for (const [index, browser] of [phone, desktop, laptop].entries()) {
      const asked = await signIn(browser, account.email);
      expect(asked.$('h1').text()).toBe("Confirm it's you");
      const { code, ...extra } = proofs[index]!;
      expect((await confirm(browser, asked, code!, { ...extra, trust: 'on' })).url.startsWith(redirectUri)).toBe(true);
    }
    const page = await sessionsPage(laptop);
    const trusted = entries(page, 'ul.trusted-devices');
    expect(trusted).toHaveLength(3);
    expect(trusted[0]).toMatch(/^Firefox · Linux This device last used .+ · trusted until .+ Stop trusting Firefox · Linux$/);
    const inThirtyDays = new Intl.DateTimeFormat('en', { dateStyle: 'long' }).format(new Date(Date.now() + 30 * 24 * 3600 * 1000));
    expect(trusted[0]).toContain(`trusted until ${inThirtyDays}`);

    // Removing the phone: its next sign-in is asked for the factor.
    const phoneEntry = page.$('ul.trusted-devices > li').filter((_, item) => page.$(item).text().includes('Safari'));
    const deviceId = String(phoneEntry.find('input[name=device]').val());
    const forged = await laptop.request(url('/account/devices/remove'), { form: { device: deviceId } });
    expect(forged.status).toBe(403);
    const removed = await laptop.submit(page, `form:has(input[name=device][value="${deviceId}"])`, {});
    expect(removed.$('.notice').text()).toMatch(/no longer trusted/);
    expect(entries(removed, 'ul.trusted-devices')).toHaveLength(2);
    expect((await signIn(phone, account.email, { prompt: 'login' })).$('h1').text()).toBe("Confirm it's you");

    // Signing out the other sessions: the desktop is no longer trusted, this laptop still is.
    const signedOut = await laptop.submit(removed, 'form[action="/account/sessions/sign-out-others"]', {});
    expect(entries(signedOut, 'ul.trusted-devices')).toEqual([expect.stringMatching(/^Firefox · Linux This device/)]);
    expect((await signIn(desktop, account.email, { prompt: 'login' })).$('h1').text()).toBe("Confirm it's you");
    expect((await signIn(laptop, account.email, { prompt: 'login' })).url.startsWith(redirectUri)).toBe(true);
  });

  it("cannot end another account's session or forget its device; ended sessions' browser records are purged", async () => {
    const { account: victim, secret } = await withAuthenticator();
    const victimBrowser = new UserAgent({ 'user-agent': safariOnIphone });
    const asked = await signIn(victimBrowser, victim.email);
    await confirm(victimBrowser, asked, totpCodeAt(secret, new Date()), { trust: 'on' });
    const victimPage = await sessionsPage(victimBrowser);
    const victimSession = (await services().oidc.sessions.sessionsOfAccount(services().db, victim.id))[0]!.uid;
    const victimDevice = String(victimPage.$('ul.trusted-devices input[name=device]').val());

    const other = await newAccount();
    const attacker = new UserAgent({ 'user-agent': firefoxOnLinux });
    await signInToApp(attacker, other.email);
    const page = await sessionsPage(attacker);
    const csrf = String(page.$('input[name=_csrf]').first().val());
    await attacker.request(url('/account/sessions/remove'), { form: { _csrf: csrf, session: victimSession } });
    await attacker.request(url('/account/devices/remove'), { form: { _csrf: csrf, device: victimDevice } });
    expect(await signedIn(victimBrowser)).toBe(true);
    expect(entries(await sessionsPage(victimBrowser), 'ul.trusted-devices')).toHaveLength(1);

    // The attacker's own session ended by "sign out everywhere": its browser record goes with the next purge, the victim's stays.
    const confirmation = await attacker.follow(url('/account/sign-out-everywhere'));
    await attacker.submit(confirmation, 'form[action="/account/sign-out-everywhere"]', {});
    await services().oidc.sessionDevices.purgeEnded(services().db);
    expect(await services().oidc.sessionDevices.listOfAccount(services().db, other.id)).toEqual([]);
    expect(await services().oidc.sessionDevices.listOfAccount(services().db, victim.id)).toEqual([
      expect.objectContaining({ sessionUid: victimSession, userAgent: safariOnIphone }),
    ]);
  });
});
