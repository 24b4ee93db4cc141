import { request as httpRequest } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail, signInThroughBrowserless } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

describe('forgot password', () => {
  let env: ServerWithMail;
  let app: TestClient;

  beforeAll(async () => {
    env = await startServerWithMail();
    app = await registerRelyingParty(env.server);
  });
  afterAll(() => env?.close());

  const createAccount = (email: string, password: string) =>
    env.server.services.accounts.service.createAccount({ email, password, name: 'Test Person', emailVerified: true });
  const forgotPage = (agent: UserAgent, query = '') => agent.follow(`${env.server.url}/forgot-password${query}`);
  const requestReset = async (agent: UserAgent, email: string) => agent.submit(await forgotPage(agent), 'form[action="/forgot-password"]', { email });
  const setPassword = (agent: UserAgent, page: PageResponse, password: string) => agent.submit(page, 'form[action="/reset-password"]', { password });
  const resetLink = async (email: string, count = 1) => linkTo(await env.sink.waitFor(email, count), '/reset-password');
  const signsIn = async (email: string, password: string) =>
    (await env.server.services.accounts.service.authenticateWithPassword(email, password)) !== undefined;

  it('goes from the sign-in page to a new password and back into the app, with a "password changed" mail', async () => {
    await createAccount('ada@example.com', 'analytical engine 1843');
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config);
    const login = await agent.follow(request.url, {}, redirectUri);
    const interaction = new URL(login.url).pathname.split('/')[2]!;
    const signInUrl = `/interaction/${interaction}?client_id=${app.clientId}`;

    // The password page links here with the interaction and the email typed on the email page.
    const passwordPage = await enterEmail(agent, login, 'ada@example.com');
    const forgotHref = passwordPage.$('a[href^="/forgot-password"]').attr('href')!;
    expect(forgotHref).toBe(`/forgot-password?interaction=${interaction}&email=ada%40example.com`);
    const form = await agent.follow(new URL(forgotHref, env.server.url).toString());
    expect(form.$('#email').attr('value')).toBe('ada@example.com');
    expect(form.$('#email').attr('autocomplete')).toBe('username');
    // The app's sign-in carries on behind this page: its name, and the way back to it.
    expect(form.$('title').text()).toBe('Forgot your password? · Test App');
    expect(form.$('a.back-link').attr('href')).toBe(signInUrl);
    const sent = await agent.submit(form, 'form[action="/forgot-password"]', {});
    expect(sent.status).toBe(200);
    expect(sent.$('h1').text()).toBe('Check your email');
    expect(sent.$('a[href^="/help/email-not-received"]').length).toBe(1);

    const mail = await env.sink.waitFor('ada@example.com');
    expect(mail.subject).toBe('Reset your password');
    const link = linkTo(mail, '/reset-password');
    expect(new URL(link).origin).toBe(env.server.services.config.issuer);
    expect(new URL(link).searchParams.get('interaction')).toBe(interaction);
    // At least 128 random bits in the link, and only a hash of them in the database.
    const token = new URL(link).searchParams.get('token')!;
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
    const stored = await env.server.services.db.selectFrom('account_tokens').select('token_hash').where('purpose', '=', 'password_reset').execute();
    expect(stored.map((row) => row.token_hash)).not.toContain(token);

    // The link opens a form; opening it again (a mail scanner) does not use it up.
    await agent.follow(link);
    const resetForm = await agent.follow(link);
    expect(resetForm.status).toBe(200);
    expect(resetForm.$('form[action="/reset-password"] input[name=password]').length).toBe(1);

    const tooShort = await setPassword(agent, resetForm, 'short');
    expect(tooShort.status).toBe(400);
    expect(tooShort.$('#password-error').text()).toBe('Use at least 8 characters.');
    expect(tooShort.$('#password').attr('aria-describedby')).toContain('password-error');
    expect(tooShort.$('#password').attr('autocomplete')).toBe('new-password');
    const done = await setPassword(agent, tooShort, 'difference engine 1822');
    expect(done.status).toBe(200);
    expect(done.$('h1').text()).toBe('Your password was changed');

    const changed = await env.sink.waitFor('ada@example.com', 2);
    expect(changed.subject).toBe('Your password was changed');
    expect(linkTo(changed, '/forgot-password')).toContain(env.server.services.config.issuer);

    expect(await signsIn('ada@example.com', 'analytical engine 1843')).toBe(false);
    // "Continue signing in" goes back to the same sign-in, still at its password step for this email.
    expect(done.$('a.button').attr('href')).toBe(signInUrl);
    const loginAgain = await agent.follow(new URL(signInUrl, env.server.url).toString(), {}, redirectUri);
    expect(loginAgain.$('.identity-email').text()).toBe('ada@example.com');
    const callback = await agent.submit(loginAgain, 'form[action*="/password"]', { password: 'difference engine 1822' }, redirectUri);
    const tokens = await exchangeCode(app.config, callback.url, request);
    expect(tokens.access_token).toBeTruthy();

    // Single use: the same link no longer works.
    const reused = await setPassword(agent, resetForm, 'a third new password');
    expect(reused.status).toBe(400);
    expect(reused.$('h1').text()).toBe('This link can no longer be used');
    // The sign-in has finished: the way to a new link no longer leads into it.
    expect(reused.$('a.button').attr('href')).toBe('/forgot-password');
    expect(await signsIn('ada@example.com', 'difference engine 1822')).toBe(true);
  });

  it('answers the same status and page whether or not the address has an account', async () => {
    await createAccount('known@example.com', 'a known long password');
    const agent = new UserAgent();
    const known = await requestReset(agent, 'known@example.com');
    const unknown = await requestReset(agent, 'unknown@example.com');
    expect(unknown.status).toBe(known.status);
    expect(unknown.body.replaceAll('unknown@example.com', 'X').replaceAll('unknown%40example.com', 'X')).toBe(
      known.body.replaceAll('known@example.com', 'X').replaceAll('known%40example.com', 'X'),
    );
    expect((await env.sink.waitFor('known@example.com')).subject).toBe('Reset your password');
    const noAccount = await env.sink.waitFor('unknown@example.com');
    expect(noAccount.subject).toBe('Password reset request');
    expect(noAccount.text).toContain('no account uses this address');
    expect(noAccount.links.some((link) => link.includes('/reset-password'))).toBe(false);
  });

  it('refuses an expired link', async () => {
    await createAccount('expired@example.com', 'soon to be expired');
    const agent = new UserAgent();
    await requestReset(agent, 'expired@example.com');
    const link = await resetLink('expired@example.com');
    await sql`update account_tokens set expires_at = now() - interval '1 second' where purpose = 'password_reset'`.execute(env.server.services.db);
    const page = await agent.follow(link);
    expect(page.status).toBe(400);
    expect(page.$('h1').text()).toBe('This link can no longer be used');
  });

  it('voids the older link when a newer one is sent', async () => {
    await createAccount('twice@example.com', 'asked for it twice');
    const agent = new UserAgent();
    await requestReset(agent, 'twice@example.com');
    const older = await resetLink('twice@example.com');
    await requestReset(agent, 'twice@example.com');
    const newer = await resetLink('twice@example.com', 2);
    expect(newer).not.toBe(older);
    expect((await agent.follow(older)).status).toBe(400);
    const done = await setPassword(agent, await agent.follow(newer), 'the newest link works');
    expect(done.status).toBe(200);
  });

  it('voids outstanding links when the password changes another way', async () => {
    const agent = new UserAgent();
    await env.server.services.selfService.invitations.invite({ email: 'invited@example.com', locale: 'en' });
    const invitation = linkTo(await env.sink.waitFor('invited@example.com'), '/invitation');
    await requestReset(agent, 'invited@example.com');
    const reset = await resetLink('invited@example.com', 2);
    expect((await setPassword(agent, await agent.follow(reset), 'chosen through the reset link')).status).toBe(200);
    const page = await agent.follow(invitation);
    expect(page.status).toBe(400);
    expect(page.body).toContain('Ask the person who invited you');
  });

  it('signs the account out everywhere: sessions, grants, access and refresh tokens', async () => {
    const account = await createAccount('grace@example.com', 'compilers 1952 cobol');
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(agent, request.url, 'grace@example.com', 'compilers 1952 cobol');
    const tokens = await exchangeCode(app.config, callback.url, request);
    expect(tokens.refresh_token).toBeTruthy();
    const rowsOf = () =>
      env.server.services.db
        .selectFrom('oidc_models')
        .select('model')
        .where('account_id', '=', account.id)
        .execute()
        .then((rows) => rows.map((row) => row.model).sort());
    expect(await rowsOf()).toEqual(expect.arrayContaining(['AccessToken', 'Grant', 'RefreshToken', 'Session']));

    const other = new UserAgent();
    await requestReset(other, 'grace@example.com');
    await setPassword(other, await other.follow(await resetLink('grace@example.com')), 'nanoseconds of wire');

    expect(await rowsOf()).toEqual([]);
    await expect(client.refreshTokenGrant(app.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(app.config, tokens.access_token)).active).toBe(false);
    // The browser that was signed in is asked for a password again.
    const again = await agent.follow((await authorizationRequest(app.config)).url, {}, redirectUri);
    expect(again.url.startsWith(redirectUri)).toBe(false);
    expect((await enterEmail(agent, again, 'grace@example.com')).$('input[type=password]').length).toBe(1);
  });

  it('builds links from the configured issuer, never from a forged Host header', async () => {
    await createAccount('host@example.com', 'headers can be forged');
    const agent = new UserAgent();
    const form = await forgotPage(agent);
    const body = new URLSearchParams({ _csrf: form.$('input[name=_csrf]').attr('value')!, email: 'host@example.com' }).toString();
    const cookie = await agent.jar.getCookieString(env.server.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${env.server.url}/forgot-password`, {
        method: 'POST',
        headers: {
          host: 'evil.example',
          'x-forwarded-host': 'evil.example',
          'x-forwarded-proto': 'https',
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const mail = await env.sink.waitFor('host@example.com');
    expect(mail.text).not.toContain('evil.example');
    expect(mail.html).not.toContain('evil.example');
    expect(new URL(linkTo(mail, '/reset-password')).origin).toBe(env.server.services.config.issuer);
  });

  it('has a help page for a mail that did not arrive, in English and French', async () => {
    const agent = new UserAgent();
    const sent = await requestReset(agent, 'nobody@example.com');
    const help = await agent.follow(new URL(sent.$('a[href^="/help/email-not-received"]').attr('href')!, env.server.url).toString());
    expect(help.status).toBe(200);
    expect(help.body).toContain('spam');
    expect(help.$('a[href^="/forgot-password"]').attr('href')).toBe('/forgot-password?email=nobody%40example.com');
    const french = await agent.follow(`${env.server.url}/help/email-not-received?lang=fr`);
    expect(french.$('h1').text()).toBe("Vous n'avez pas reçu l'e-mail ?");
    expect(french.body).toContain('courriers indésirables');
  });
});
