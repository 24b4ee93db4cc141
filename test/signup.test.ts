import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

describe('sign-up with email verification', () => {
  let env: ServerWithMail;
  let app: TestClient;

  beforeAll(async () => {
    env = await startServerWithMail();
    app = await registerRelyingParty(env.server);
  });
  afterAll(() => env?.close());

  const signUpPage = (agent: UserAgent, interaction?: string) => agent.follow(`${env.server.url}/signup${interaction ? `?interaction=${interaction}` : ''}`);
  const submitSignUp = (agent: UserAgent, page: PageResponse, fields: Record<string, string>) => agent.submit(page, 'form[action="/signup"]', fields);

  it('creates an account, mails a confirmation link that confirms on a button press, and the user signs in to the app', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config);
    const login = await agent.follow(request.url, {}, redirectUri);
    const interaction = new URL(login.url).pathname.split('/')[2]!;
    const signInUrl = `/interaction/${interaction}?client_id=${app.clientId}`;

    // The email page links to sign-up with its interaction; sign-up shows the app and links back.
    expect(login.$('a[href^="/signup"]').attr('href')).toBe(`/signup?interaction=${interaction}`);
    const form = await signUpPage(agent, interaction);
    expect(form.status).toBe(200);
    expect(form.$('title').text()).toBe('Create your account · Test App');
    expect(form.$('.footnote a').attr('href')).toBe(signInUrl);
    expect(form.$('#email').attr('autocomplete')).toBe('username');
    expect(form.$('#password').attr('autocomplete')).toBe('new-password');
    const sent = await submitSignUp(agent, form, { name: 'Katherine Johnson', email: '  Katherine@Example.com ', password: 'orbital mechanics 1962' });
    expect(sent.status).toBe(200);
    expect(sent.$('h1').text()).toBe('Check your email');
    expect(sent.body).toContain('katherine@example.com');

    const mail = await env.sink.waitFor('katherine@example.com');
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.html).toContain('Confirm my email address');
    const link = linkTo(mail, '/signup/verify');
    expect(new URL(link).origin).toBe(env.server.services.config.issuer);
    expect(new URL(link).searchParams.get('interaction')).toBe(interaction);

    const account = await env.server.services.accounts.repository.findByEmail('katherine@example.com');
    expect(account).toMatchObject({ email: 'katherine@example.com', email_verified: false, name: 'Katherine Johnson', locale: 'en' });

    // Opening the link (as a mail scanner would) confirms nothing: it shows a button.
    const confirmPage = await agent.follow(link);
    expect(confirmPage.status).toBe(200);
    await agent.follow(link);
    expect((await env.server.services.accounts.repository.findByEmail('katherine@example.com'))?.email_verified).toBe(false);

    const confirmed = await agent.submit(confirmPage, 'form[action="/signup/verify"]', {});
    expect(confirmed.status).toBe(200);
    expect(confirmed.$('h1').text()).toBe('Email address confirmed');
    expect((await env.server.services.accounts.repository.findByEmail('katherine@example.com'))?.email_verified).toBe(true);

    // The link is single-use.
    const again = await agent.submit(confirmPage, 'form[action="/signup/verify"]', {});
    expect(again.status).toBe(400);
    expect(again.body).toContain('This link can no longer be used');

    // Back to the app's sign-in, which goes on to the app with a verified email.
    const continueHref = confirmed.$('a.button').attr('href')!;
    expect(continueHref).toBe(signInUrl);
    const loginAgain = await agent.follow(new URL(continueHref, env.server.url).toString(), {}, redirectUri);
    const passwordPage = await enterEmail(agent, loginAgain, 'katherine@example.com');
    const callback = await agent.submit(passwordPage, 'form[action*="/password"]', { password: 'orbital mechanics 1962' }, redirectUri);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    const tokens = await exchangeCode(app.config, callback.url, request);
    const userinfo = await client.fetchUserInfo(app.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email: 'katherine@example.com', email_verified: true, name: 'Katherine Johnson' });
  });

  it('answers exactly the same for an address that already has an account, and mails that address instead', async () => {
    await env.server.services.accounts.service.createAccount({
      email: 'dorothy@example.com',
      password: 'fortran programmer',
      name: 'Dorothy Vaughan',
      emailVerified: true,
    });
    const agent = new UserAgent();
    const taken = await submitSignUp(agent, await signUpPage(agent), { name: 'Someone', email: 'Dorothy@example.com', password: 'another long password' });
    const fresh = await submitSignUp(agent, await signUpPage(agent), { name: 'Someone', email: 'mary@example.com', password: 'another long password' });
    expect(taken.status).toBe(fresh.status);
    expect(taken.body.replaceAll('dorothy@example.com', 'X')).toBe(fresh.body.replaceAll('mary@example.com', 'X'));

    const mail = await env.sink.waitFor('dorothy@example.com');
    expect(mail.subject).toBe('You already have an account');
    expect(linkTo(mail, '/forgot-password')).toContain('email=dorothy%40example.com');
    // Nothing changed on the existing account.
    const account = await env.server.services.accounts.repository.findByEmail('dorothy@example.com');
    expect(account?.name).toBe('Dorothy Vaughan');
    expect((await env.server.services.accounts.service.authenticateWithPassword('dorothy@example.com', 'fortran programmer'))?.id).toBe(account?.id);
  });

  it('mails the owner of an unconfirmed account a link that sets a new password, not a confirmation of the first one (pre-hijacking)', async () => {
    const agent = new UserAgent();
    // Someone else starts an account with this address and never confirms it.
    await submitSignUp(agent, await signUpPage(agent), { name: 'Mallory', email: 'annie@example.com', password: 'attacker chosen secret' });
    await env.sink.waitFor('annie@example.com');
    // The owner signs up: she gets a link that replaces the password and confirms the address.
    await submitSignUp(agent, await signUpPage(agent), { name: 'Annie Easley', email: 'annie@example.com', password: 'centaur rocket 1965' });
    const mail = await env.sink.waitFor('annie@example.com', 2);
    expect(mail.subject).toBe('Finish creating your account');
    const form = await agent.follow(linkTo(mail, '/reset-password'));
    const done = await agent.submit(form, 'form[action="/reset-password"]', { password: 'centaur rocket 1965' });
    expect(done.status).toBe(200);
    const account = await env.server.services.accounts.repository.findByEmail('annie@example.com');
    expect(account?.email_verified).toBe(true);
    expect(await env.server.services.accounts.service.authenticateWithPassword('annie@example.com', 'attacker chosen secret')).toBeUndefined();
    expect(await env.server.services.accounts.service.authenticateWithPassword('annie@example.com', 'centaur rocket 1965')).toBeDefined();
  });

  it('refuses short, common and over-256-character passwords with a clear message, and creates nothing', async () => {
    const agent = new UserAgent();
    const cases = [
      { password: 'short', message: 'Use at least 8 characters.' },
      { password: 'Password1', message: 'too common or has appeared in data breaches' },
      { password: 'iloveyou', message: 'too common' },
      { password: 'aaaaaaaaaaaa', message: 'too common' },
      { password: 'grace@example.com', message: 'Do not use your email address' },
      { password: 'é'.repeat(257), message: 'Use at most 256 characters.' },
    ];
    for (const { password, message } of cases) {
      const page = await submitSignUp(agent, await signUpPage(agent), { name: 'Grace', email: 'grace@example.com', password });
      expect(page.status, password).toBe(400);
      expect(page.$('#password-error').text(), password).toContain(message);
      expect(page.$('#email').attr('value')).toBe('grace@example.com');
      expect(page.$('#password').attr('aria-invalid')).toBe('true');
    }
    expect(await env.server.services.accounts.repository.findByEmail('grace@example.com')).toBeUndefined();
    // A long passphrase is fine, whatever characters it uses: these 256 characters are 280 UTF-8 bytes, beyond bcrypt's 72.
    const passphrase = 'déjà vu, été indien et crème brûlée à volonté ! '.repeat(6).slice(0, 256);
    expect([...passphrase]).toHaveLength(256);
    const accepted = await submitSignUp(agent, await signUpPage(agent), { name: 'Grace', email: 'grace@example.com', password: passphrase });
    expect(accepted.status).toBe(200);
    await env.sink.waitFor('grace@example.com');
  });

  it('asks for a name and a valid address, and refuses a form without its CSRF token', async () => {
    const agent = new UserAgent();
    const page = await submitSignUp(agent, await signUpPage(agent), { name: ' ', email: 'not-an-email', password: 'a good long passphrase' });
    expect(page.status).toBe(400);
    expect(page.$('#name-error').text()).toBe('Enter your name.');
    expect(page.$('#email-error').text()).toContain('Enter a valid email address');
    // Every problem at once, each tied to its field; the first one has the focus.
    const empty = await submitSignUp(agent, await signUpPage(agent), { name: '', email: '', password: '' });
    expect(
      empty
        .$('.field-error')
        .map((_, error) => empty.$(error).attr('id'))
        .get(),
    ).toEqual(['name-error', 'email-error', 'password-error']);
    expect(empty.$('#name').attr('aria-describedby')).toBe('name-error');
    expect(empty.$('[autofocus]').attr('id')).toBe('name');
    expect(empty.$('title').text()).toMatch(/^Error: /);
    // An interaction that does not exist (or has ended) leads nowhere: no way back is offered.
    const stray = await signUpPage(agent, 'no-such-interaction-0123456789');
    expect(stray.status).toBe(200);
    expect(stray.$('input[name=interaction]').length).toBe(0);
    expect(stray.$('a[href^="/interaction/"]').length).toBe(0);

    const forged = await agent.request(`${env.server.url}/signup`, { form: { name: 'X', email: 'x@example.com', password: 'a good long passphrase' } });
    expect(forged.status).toBe(403);
    expect(await env.server.services.accounts.repository.findByEmail('x@example.com')).toBeUndefined();
  });

  it('writes to a French visitor in French', async () => {
    const agent = new UserAgent({ 'accept-language': 'fr-FR,fr;q=0.9' });
    const page = await submitSignUp(agent, await signUpPage(agent), { name: 'Marie', email: 'marie@example.com', password: 'radium polonium 1898' });
    expect(page.$('h1').text()).toBe('Consultez votre messagerie');
    const mail = await env.sink.waitFor('marie@example.com');
    expect(mail.subject).toBe('Confirmez votre adresse e-mail');
    expect(mail.text).toContain('Bonjour Marie,');
  });
});
