import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/factors/totp.ts';
import { enrolAuthenticatorApp } from './helpers/authenticator.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { linkTo, serverWithMailAndApp } from './helpers/mail-server.ts';
import { client, exchangeCode, redirectUri } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'correct horse battery staple';
const firefoxOnLinux = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('"This wasn\'t me"', () => {
  const fixture = serverWithMailAndApp();
  let accountSeq = 0;

  const services = () => fixture.withMail.server.services;
  const url = (path: string) => `${fixture.withMail.server.url}${path}`;

  async function newAccount(locale?: string) {
    const email = `owner${++accountSeq}@not-me.test`;
    const account = await services().accounts.service.createAccount({ email, password, emailVerified: true, ...(locale ? { locale } : {}) });
    return { ...account, email };
  }

  /** Email and password through the app's sign-in (and the app's code when asked); returns the app's tokens. */
  async function signIn(agent: UserAgent, email: string, totpCode?: string) {
    // prompt=login: a browser signed in already is asked again, as after its session ended.
    const started = await startInteraction(agent, fixture.app, { prompt: 'login' });
    const passwordPage = await enterEmail(agent, started.page, email);
    let end: PageResponse = await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
    if (totpCode) {
      expect(end.$('h1').text()).toBe("Confirm it's you");
      end = await agent.submit(end, 'form[action*="/confirm?"]', { code: totpCode, trust: 'on' }, redirectUri);
    }
    expect(end.url.startsWith(redirectUri), end.body.slice(0, 500)).toBe(true);
    return exchangeCode(fixture.app.config, end.url, started.request);
  }

  /** The templates of the mails queued for an address (queued within the request that caused them). */
  const mailsQueuedFor = async (email: string) =>
    (await services().db.selectFrom('outgoing_mails').select('template').where('recipient', '=', email).orderBy('created_at').execute()).map(
      (row) => row.template,
    );

  const signedIn = async (agent: UserAgent) => (await agent.request(url('/account'))).status === 200;

  it("mails a sign-in from a browser the account never used, in the account's language, with the link; the first browser is no news", async () => {
    const account = await newAccount('fr');
    const first = new UserAgent();
    await signIn(first, account.email);
    expect(await mailsQueuedFor(account.email)).toEqual([]);
    const laptop = new UserAgent({ 'user-agent': firefoxOnLinux });
    await signIn(laptop, account.email);
    const notice = await fixture.withMail.sink.waitFor(account.email);
    expect(notice.subject).toBe('Nouvelle connexion à votre compte');
    expect(notice.text).toContain('Firefox · Linux');
    expect(notice.text).toContain('sécurisez votre compte maintenant');
    linkTo(notice, '/not-me');
    // Browsers the account used before are no news.
    await signIn(laptop, account.email);
    await signIn(first, account.email);
    expect(await mailsQueuedFor(account.email)).toEqual(['new-device-sign-in']);
  });

  it('ends every session, refresh token and device trust after a confirmation (a GET changes nothing), then asks for a new password', async () => {
    const account = await newAccount();
    const { secret } = await enrolAuthenticatorApp(fixture.withMail.server, account);
    const owner = new UserAgent();
    const ownerTokens = await signIn(owner, account.email, totpCodeAt(secret, new Date()));
    // Someone else, with the password and a code: a sign-in from a browser the account never used.
    const intruder = new UserAgent({ 'user-agent': firefoxOnLinux });
    const intruderTokens = await signIn(intruder, account.email, totpCodeAt(secret, new Date(Date.now() + 30_000)));
    const notice = await fixture.withMail.sink.waitFor(account.email);
    expect(notice.subject).toBe('New sign-in to your account');

    // Opening the link (as a mail scanner would) changes nothing.
    const confirmation = await owner.follow(linkTo(notice, '/not-me'));
    expect(confirmation.status).toBe(200);
    expect(confirmation.$('h1').text()).toBe('Secure your account');
    expect((await owner.request(`${linkTo(notice, '/not-me')}&lang=fr`)).$('h1').text()).toBe('Sécuriser votre compte');
    await owner.request(`${linkTo(notice, '/not-me')}&lang=en`);
    expect(await signedIn(intruder)).toBe(true);
    // Without the form's token nothing happens either.
    const forged = await owner.request(url('/not-me'), { form: { token: new URL(linkTo(notice, '/not-me')).searchParams.get('token')! } });
    expect(forged.status).toBe(403);
    expect(await signedIn(intruder)).toBe(true);

    const secured = await owner.submit(confirmation, 'form[action="/not-me"]', {});
    expect(secured.$('h1').text()).toBe('Your account is secured');
    for (const browser of [owner, intruder]) expect(await signedIn(browser)).toBe(false);
    for (const tokens of [ownerTokens, intruderTokens]) {
      await expect(client.refreshTokenGrant(fixture.app.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect((await client.tokenIntrospection(fixture.app.config, tokens.access_token)).active).toBe(false);
    }
    // The browser the owner trusted is asked for the factor again.
    const started = await startInteraction(owner, fixture.app);
    const passwordPage = await enterEmail(owner, started.page, account.email);
    expect((await owner.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri)).$('h1').text()).toBe("Confirm it's you");

    // On to a new password, through the ordinary reset page.
    const resetPage = await owner.follow(new URL(secured.$('a.button.primary').attr('href')!, url('/')).toString());
    expect(new URL(resetPage.url).pathname).toBe('/reset-password');
    const done = await owner.submit(resetPage, 'form[action="/reset-password"]', { password: 'a completely new passphrase 9' });
    expect(done.status).toBe(200);
    expect(await services().accounts.service.authenticateWithPassword(account.email, 'a completely new passphrase 9')).toMatchObject({ id: account.id });

    // The link works once.
    const again = await owner.follow(linkTo(notice, '/not-me'));
    expect(again.status).toBe(400);
    expect(again.$('h1').text()).toBe('This link can no longer be used');
  });

  it("keeps every notice's link working until one is used: a factor change after the sign-in does not void the first link", async () => {
    const account = await newAccount();
    await signIn(new UserAgent(), account.email);
    await signIn(new UserAgent({ 'user-agent': firefoxOnLinux }), account.email);
    const signInNotice = await fixture.withMail.sink.waitFor(account.email);
    await services().factors.notices.factorChanged(account.id, 'added', 'totp', 'en');
    const factorNotice = await fixture.withMail.sink.waitFor(account.email, 2);
    expect(factorNotice.subject).toBe("A way to confirm it's you was added");
    const reader = new UserAgent();
    const first = await reader.follow(linkTo(signInNotice, '/not-me'));
    expect(first.status).toBe(200);
    await reader.submit(first, 'form[action="/not-me"]', {});
    // Used: the other notice's link has nothing left to do.
    expect((await reader.follow(linkTo(factorNotice, '/not-me'))).status).toBe(400);
  });

  it('secures an account that signs in without a password without asking for one, and says so', async () => {
    const email = `social${++accountSeq}@not-me.test`;
    const account = await services().accounts.service.createAccount({ email, emailVerified: true });
    await services().factors.notices.factorChanged(account.id, 'removed', 'totp', 'en');
    const notice = await fixture.withMail.sink.waitFor(email);
    const reader = new UserAgent();
    const secured = await reader.submit(await reader.follow(linkTo(notice, '/not-me')), 'form[action="/not-me"]', {});
    expect(secured.$('h1').text()).toBe('Your account is secured');
    expect(secured.$('a[href^="/reset-password"]').length).toBe(0);
    expect(secured.body).toContain('signs in without a password');
    expect(await mailsQueuedFor(email)).toEqual(['factor-removed']);
    expect((await services().accounts.repository.findById(account.id))?.password_hash).toBeNull();
  });
});
