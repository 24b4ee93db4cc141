import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { UserAgent } from './helpers/user-agent.ts';

describe('prompt=create (OpenID Connect Prompt Create 1.0)', () => {
  let env: ServerWithMail;
  let app: TestClient;

  beforeAll(async () => {
    env = await startServerWithMail();
    app = await registerRelyingParty(env.server);
  });
  afterAll(() => env?.close());

  it('is listed in discovery', async () => {
    const metadata = (await (await fetch(`${env.server.url}/.well-known/openid-configuration`)).json()) as { prompt_values_supported: string[] };
    expect(metadata.prompt_values_supported).toContain('create');
  });

  it('opens the sign-up page of the sign-in; once the email is confirmed the person returns to the app signed in as the new account', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config, { prompt: 'create' });
    const signUp = await agent.follow(request.url);
    expect(new URL(signUp.url).pathname).toBe('/signup');
    const interaction = new URL(signUp.url).searchParams.get('interaction')!;
    expect(signUp.$('title').text()).toBe('Create your account · Test App');

    await agent.submit(signUp, 'form[action="/signup"]', { name: 'Mary Jackson', email: 'mary@example.com', password: 'wind tunnel 1958 hampton' });
    const link = linkTo(await env.sink.waitFor('mary@example.com'), '/signup/verify');
    expect(new URL(link).searchParams.get('interaction')).toBe(interaction);
    const confirmed = await agent.submit(await agent.follow(link), 'form[action="/signup/verify"]', {});
    expect(confirmed.$('h1').text()).toBe('Email address confirmed');

    // "Continue" goes back into the sign-in, which ends at the app without asking for the password again.
    const callback = await agent.follow(new URL(confirmed.$('a.button').attr('href')!, env.server.url).toString(), {}, redirectUri);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    const tokens = await exchangeCode(app.config, callback.url, request);
    const account = await env.server.services.accounts.repository.findByEmail('mary@example.com');
    expect(tokens.claims()).toMatchObject({ sub: account!.id, amr: ['pwd'] });
    expect(await client.fetchUserInfo(app.config, tokens.access_token, account!.id)).toMatchObject({ email: 'mary@example.com', email_verified: true });
  });

  it('signs in only the browser that started the sign-up: a confirmation opened elsewhere leaves it signed out', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config, { prompt: 'create' });
    const signUp = await agent.follow(request.url);
    await agent.submit(signUp, 'form[action="/signup"]', { name: 'Annie Easley', email: 'annie.e@example.com', password: 'centaur upper stage 1977' });
    const link = linkTo(await env.sink.waitFor('annie.e@example.com'), '/signup/verify');
    const otherBrowser = new UserAgent();
    const confirmed = await otherBrowser.submit(await otherBrowser.follow(link), 'form[action="/signup/verify"]', {});
    expect(confirmed.$('h1').text()).toBe('Email address confirmed');
    const elsewhere = await otherBrowser.follow(new URL(confirmed.$('a.button').attr('href')!, env.server.url).toString(), {}, redirectUri);
    expect(elsewhere.url.startsWith(redirectUri)).toBe(false);

    // The browser that started it goes on to the app.
    const callback = await agent.follow(
      `${env.server.url}/interaction/${new URL(signUp.url).searchParams.get('interaction')}?client_id=${app.clientId}`,
      {},
      redirectUri,
    );
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    const annie = await env.server.services.accounts.repository.findByEmail('annie.e@example.com');
    expect((await exchangeCode(app.config, callback.url, request)).claims()?.sub).toBe(annie!.id);
  });

  it('still lets a person who already has an account sign in from the sign-up page', async () => {
    const christine = await env.server.services.accounts.service.createAccount({
      email: 'christine@example.com',
      password: 'mercury project 1961',
      emailVerified: true,
    });
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config, { prompt: 'create' });
    const signUp = await agent.follow(request.url);
    const identifier = await agent.follow(new URL(signUp.$('.footnote a').attr('href')!, env.server.url).toString());
    const passwordPage = await enterEmail(agent, identifier, 'christine@example.com');
    const callback = await agent.submit(passwordPage, 'form[action*="/password"]', { password: 'mercury project 1961' }, redirectUri);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    expect((await exchangeCode(app.config, callback.url, request)).claims()?.sub).toBe(christine.id);
  });
});
