import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrValues } from '../src/factors/assurance.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { authorizationRequest, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'correct horse battery staple';

describe('"Confirm it\'s you" in the sign-in journey', () => {
  let withMail: ServerWithMail;
  let app: TestClient;
  let accountSeq = 0;

  beforeAll(async () => {
    withMail = await startServerWithMail({ overrides: { newDeviceCheck: true } });
    app = await registerRelyingParty(withMail.server);
  });
  afterAll(() => withMail?.close());

  const services = () => withMail.server.services;

  async function newAccount() {
    const email = `person${++accountSeq}@factors.test`;
    const account = await services().accounts.service.createAccount({ email, password, emailVerified: true });
    return { ...account, email };
  }

  /** An account with an authenticator app, enrolled with the code of the previous time step (so the current one is still unused). */
  async function withAuthenticator() {
    const account = await newAccount();
    const enrolment = (await services().factors.service.beginTotp(account.id, account.email))!;
    const result = await services().factors.service.confirmTotp(account.id, totpCodeAt(enrolment.secret, new Date(Date.now() - 30_000)));
    expect(result.confirmed).toBe(true);
    return { account, secret: enrolment.secret, recoveryCodes: result.recoveryCodes! };
  }

  /** Email and password on a new browser, up to the page that follows (or the app's callback). */
  async function signIn(email: string, params: Record<string, string> = {}, agent = new UserAgent(), withPassword = password) {
    const started = await startInteraction(agent, app, params);
    const passwordPage = await enterEmail(agent, started.page, email);
    const next = await agent.submit(passwordPage, 'form[action*="/password"]', { password: withPassword }, redirectUri);
    return { agent, started, next };
  }

  const confirm = (agent: UserAgent, page: PageResponse, code: string, extra: Record<string, string> = {}) =>
    agent.submit(page, 'form[action*="/confirm?"]', { code, ...extra }, redirectUri);

  async function claimsAt(end: PageResponse, request: Awaited<ReturnType<typeof startInteraction>>['request']) {
    expect(end.url.startsWith(redirectUri), end.body.slice(0, 800)).toBe(true);
    return (await exchangeCode(app.config, end.url, request)).claims()!;
  }

  it('asks an account with an authenticator app for its code, then hands amr and acr to the app; a code works once', async () => {
    const { account, secret } = await withAuthenticator();
    const { agent, started, next } = await signIn(account.email);
    expect(next.status).toBe(200);
    expect(next.$('h1').text()).toBe("Confirm it's you");
    expect(next.$('input[name=code]').attr('autocomplete')).toBe('one-time-code');
    expect(next.$('a[href*="method=recovery_code"]').length).toBe(1);

    const wrong = await confirm(agent, next, '000000' === totpCodeAt(secret, new Date()) ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    expect(wrong.$('.field-error').text()).toMatch(/not right/);

    const code = totpCodeAt(secret, new Date());
    const end = await confirm(agent, wrong, code);
    const claims = await claimsAt(end, started.request);
    expect(claims).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: acrValues[1] });

    // The same code in another sign-in (a replay) is refused.
    const again = await signIn(account.email);
    const replay = await confirm(again.agent, again.next, code);
    expect(replay.status).toBe(400);
  });

  it('takes a recovery code instead, once', async () => {
    const { account, recoveryCodes } = await withAuthenticator();
    const first = await signIn(account.email);
    const recoveryPage = await first.agent.follow(new URL(first.next.$('a[href*="method=recovery_code"]').attr('href')!, withMail.server.url).toString());
    expect(recoveryPage.$('input[name=method]').val()).toBe('recovery_code');
    expect(recoveryPage.$('input[name=code]').attr('autocomplete')).toBe('one-time-code');
    const end = await confirm(first.agent, recoveryPage, recoveryCodes[0]!);
    expect(await claimsAt(end, first.started.request)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });

    const second = await signIn(account.email);
    const used = await confirm(second.agent, second.next, recoveryCodes[0]!, { method: 'recovery_code' });
    expect(used.status).toBe(400);
    expect(used.$('.field-error').text()).toMatch(/already used/);
  });

  it('counts wrong codes per account across sign-ins, with a wait and Retry-After', async () => {
    const { account, secret } = await withAuthenticator();
    const wrongCode = totpCodeAt(secret, new Date()) === '000000' ? '111111' : '000000';
    const { agent, next } = await signIn(account.email);
    let page = next;
    for (let i = 0; i < 10; i++) {
      page = await confirm(agent, page, wrongCode);
      expect(page.status).toBe(400);
    }
    const limited = await confirm(agent, page, wrongCode);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another browser (another sign-in of the same account) waits too, even with the right code.
    const other = await signIn(account.email);
    const alsoLimited = await confirm(other.agent, other.next, totpCodeAt(secret, new Date()));
    expect(alsoLimited.status).toBe(429);
    expect(alsoLimited.headers.get('retry-after')).toBeTruthy();
  });

  it('confirms a new browser of an account without a factor by a mailed code; a trusted browser is not asked again', async () => {
    const account = await newAccount();
    const { agent, started, next } = await signIn(account.email);
    expect(next.$('h1').text()).toBe("Confirm it's you");
    expect(next.$('input[name=method]').val()).toBe('device_code');
    expect(next.$('input[name=code]').attr('autocomplete')).toBe('one-time-code');
    const mail = await withMail.sink.waitFor(account.email);
    const code = /\b(\d{6})\b/.exec(mail.text)![1]!;

    const wrong = await confirm(agent, next, code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    const end = await confirm(agent, wrong, code, { trust: 'on' });
    expect(await claimsAt(end, started.request)).toMatchObject({ sub: account.id, amr: ['pwd'], acr: acrValues[0] });

    // Same browser: straight to the app. Another browser: a code again.
    const sameBrowser = await signIn(account.email, { prompt: 'login' }, agent);
    expect(sameBrowser.next.url.startsWith(redirectUri), sameBrowser.next.body.slice(0, 500)).toBe(true);
    const otherBrowser = await signIn(account.email);
    expect(otherBrowser.next.$('input[name=method]').val()).toBe('device_code');
  });

  it('answers unmet_authentication_requirements when the app asks for a level the account cannot reach', async () => {
    const { account } = await withAuthenticator();
    const { next } = await signIn(account.email, { acr_values: acrValues[2] });
    expect(next.url.startsWith(redirectUri), next.body.slice(0, 500)).toBe(true);
    expect(new URL(next.url).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('asks for the factor when the app asks for a second factor, even on a trusted browser', async () => {
    const { account, secret } = await withAuthenticator();
    const first = await signIn(account.email);
    const end = await confirm(first.agent, first.next, totpCodeAt(secret, new Date()), { trust: 'on' });
    expect(end.url.startsWith(redirectUri)).toBe(true);
    // Trusted: a plain sign-in skips the factor.
    const trusted = await signIn(account.email, { prompt: 'login' }, first.agent);
    expect(trusted.next.url.startsWith(redirectUri), trusted.next.body.slice(0, 500)).toBe(true);
    expect(await claimsAt(trusted.next, trusted.started.request)).toMatchObject({ amr: ['pwd'], acr: acrValues[0] });
    // Asking for mfa: the factor is asked even so.
    const stepUp = await signIn(account.email, { prompt: 'login', acr_values: acrValues[1] }, first.agent);
    expect(stepUp.next.$('h1').text()).toBe("Confirm it's you");
  });

  it('steps up a session for an app asking acr_values above what it reached; prompt=none errors instead', async () => {
    const { account, secret } = await withAuthenticator();
    const first = await signIn(account.email);
    await confirm(first.agent, first.next, totpCodeAt(secret, new Date()), { trust: 'on' });
    const passwordOnly = await signIn(account.email, { prompt: 'login' }, first.agent);
    expect(await claimsAt(passwordOnly.next, passwordOnly.started.request)).toMatchObject({ acr: acrValues[0] });

    // The session holds the password level: asking for mfa opens the sign-in again instead of answering at once.
    const stepUp = await startInteraction(first.agent, app, { acr_values: acrValues[1] });
    expect(stepUp.page.url).toMatch(/\/interaction\//);
    const silent = await first.agent.follow((await authorizationRequest(app.config, { acr_values: acrValues[1], prompt: 'none' })).url, {}, redirectUri);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
    // A level the session holds is answered at once.
    const same = await first.agent.follow((await authorizationRequest(app.config, { acr_values: acrValues[0], prompt: 'none' })).url, {}, redirectUri);
    expect(new URL(same.url).searchParams.get('code')).toBeTruthy();
  });

  it('lists the levels an app can ask for in discovery, weakest first', async () => {
    const discovery = (await (await fetch(`${withMail.server.url}/.well-known/openid-configuration`)).json()) as { acr_values_supported: string[] };
    expect(discovery.acr_values_supported).toEqual([...acrValues]);
  });

  it('keeps the factor through a password reset, which ends device trust', async () => {
    const { account, secret } = await withAuthenticator();
    const first = await signIn(account.email);
    await confirm(first.agent, first.next, totpCodeAt(secret, new Date()), { trust: 'on' });
    const forgot = await first.agent.follow(`${withMail.server.url}/forgot-password`);
    await first.agent.submit(forgot, 'form[action="/forgot-password"]', { email: account.email });
    const resetPage = await first.agent.follow(linkTo(await withMail.sink.waitFor(account.email), '/reset-password'));
    await first.agent.submit(resetPage, 'form[action="/reset-password"]', { password: 'a brand new passphrase 7' });

    const after = await signIn(account.email, { prompt: 'login' }, first.agent, 'a brand new passphrase 7');
    expect(after.next.$('h1').text()).toBe("Confirm it's you");
    expect(after.next.$('input[name=method]').val()).toBe('totp');
    expect((await services().factors.service.summary(account.id)).totp).toBeDefined();
  });
});
