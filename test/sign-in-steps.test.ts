import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HomeRealmDiscovery } from '../src/hrd/home-realm-discovery.ts';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, client, discover, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail, signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const email = 'ada@example.com';
const password = 'analytical engine 1843';
const initiateLoginUri = 'https://app.example.test/start-login';

/** The interaction a page belongs to, from its URL (/interaction/<uid>[/<step>]?client_id=…). */
function uidOf(page: PageResponse): string {
  const match = /\/interaction\/([^/?]+)/.exec(new URL(page.url).pathname);
  if (!match) throw new Error(`not an interaction page: ${page.url}`);
  return match[1]!;
}

function sessionCookies(response: PageResponse): string[] {
  return response.setCookies.filter((cookie) => /^_session(\.sig)?=/.test(cookie));
}

describe('sign-in steps over HTTP', () => {
  let server: RunningServer;
  let app: TestClient;
  let otherApp: TestClient;

  const openSignIn = async (agent: UserAgent, params: Record<string, string> = {}, relyingParty = app) => {
    const page = await agent.follow((await authorizationRequest(relyingParty.config, params)).url, {}, redirectUri);
    expect(page.status, page.body.slice(0, 500)).toBe(200);
    return page;
  };
  const passwordPageFor = async (agent: UserAgent, address = email) => enterEmail(agent, await openSignIn(agent), address);
  const post = (agent: UserAgent, page: PageResponse, path: string, form: Record<string, string>) =>
    agent.request(new URL(`/interaction/${uidOf(page)}/${path}`, server.url).toString(), { form });

  beforeAll(async () => {
    server = await startTestServer();
    const { clientId, clientSecret } = await server.services.oidc.clients.create(server.services.db, {
      name: 'Analytics',
      redirectUris: [redirectUri],
      firstParty: true,
      logoUri: 'https://app.example.test/logo.svg',
      initiateLoginUri,
    });
    app = { clientId, config: await discover(server.url, clientId, clientSecret) };
    otherApp = await registerRelyingParty(server, { firstParty: false });
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('goes from email to password to the app, with 303s between steps and no-store everywhere', async () => {
    const agent = new UserAgent();
    const identifier = await openSignIn(agent);
    expect(identifier.headers.get('cache-control')).toBe('no-store');
    expect(identifier.$('h1').text()).toBe('Sign in');
    expect(identifier.$('.subtitle').text()).toContain('Analytics');
    expect(identifier.$('img.client-logo').attr('src')).toBe('https://app.example.test/logo.svg');
    expect(identifier.$('input[name=email]').attr('autocomplete')).toBe('username webauthn');
    expect(identifier.$('a[href^="/signup?interaction="]').attr('href')).toBe(`/signup?interaction=${uidOf(identifier)}`);
    expect(identifier.$(`a[href^="/interaction/${uidOf(identifier)}/company-id"]`).text()).toContain('My company ID');

    const afterEmail = await agent.request(new URL(identifier.$('form').attr('action')!, server.url).toString(), {
      form: { _csrf: identifier.$('input[name=_csrf]').val() as string, email: 'Ada@Example.com ' },
    });
    expect(afterEmail.status).toBe(303);
    expect(afterEmail.headers.get('cache-control')).toBe('no-store');
    expect(afterEmail.headers.get('location')).toBe(`/interaction/${uidOf(identifier)}?client_id=${app.clientId}`);

    const passwordPage = await agent.follow(new URL(afterEmail.headers.get('location')!, server.url).toString());
    expect(passwordPage.$('.identity-email').text()).toBe(email);
    expect(passwordPage.$('input[name=username]').attr('autocomplete')).toBe('username');
    expect(passwordPage.$('input[name=username]').val()).toBe(email);
    expect(passwordPage.$('input[name=password]').attr('autocomplete')).toBe('current-password');
    expect(passwordPage.$('input[name=remember]').attr('checked')).toBeUndefined();
    expect(passwordPage.$('a[href^="/forgot-password"]').attr('href')).toBe(
      `/forgot-password?interaction=${uidOf(identifier)}&email=${encodeURIComponent(email)}`,
    );

    const callback = await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    expect(new URL(callback.url).searchParams.get('code')).toBeTruthy();
  });

  it('keeps inline scripts out of the pages and forbids framing them', async () => {
    const page = await openSignIn(new UserAgent());
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    // Only this server's own files (the passkey script): nothing inline, nothing from elsewhere.
    const scripts = page.$('script').toArray();
    for (const script of scripts) {
      expect(page.$(script).attr('src')).toMatch(/^\/assets\/[\w./-]+\.js$/);
      expect(page.$(script).text().trim()).toBe('');
    }
    expect(page.body).not.toMatch(/\son[a-z]+=/i);
  });

  it('prefills the email from login_hint, and skips to the password when the hint is an email', async () => {
    const prefilled = await openSignIn(new UserAgent(), { login_hint: 'ada' });
    expect(prefilled.$('input[name=email]').val()).toBe('ada');

    const skipped = await openSignIn(new UserAgent(), { login_hint: email });
    expect(skipped.$('form[action*="/password"]').length).toBe(1);
    expect(skipped.$('.identity-email').text()).toBe(email);
  });

  it('goes back to the email page with "Not you?", empty, and on to another account', async () => {
    const agent = new UserAgent();
    const passwordPage = await openSignIn(agent, { login_hint: 'someone.else@example.com' });
    const notYou = passwordPage.$('a.identity-change');
    expect(notYou.text()).toBe('Not you?');
    const identifier = await agent.follow(new URL(notYou.attr('href')!, server.url).toString());
    expect(identifier.status).toBe(200);
    expect(identifier.$('input[name=email]').val()).toBe('');
    const nextPasswordPage = await enterEmail(agent, identifier, email);
    expect(nextPasswordPage.$('.identity-email').text()).toBe(email);
    const callback = await agent.submit(nextPasswordPage, 'form[action*="/password"]', { password }, redirectUri);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
  });

  it('rejects an invalid email with an error tied to the field', async () => {
    const agent = new UserAgent();
    const page = await agent.submit(await openSignIn(agent), 'form', { email: 'not an email' });
    expect(page.status).toBe(400);
    const field = page.$('input[name=email]');
    expect(field.attr('aria-invalid')).toBe('true');
    expect(page.$(`#${field.attr('aria-describedby')}`).text()).toContain('Enter an email address in the format name@example.com.');
    expect(field.val()).toBe('not an email');
    expect(page.$('title').text()).toMatch(/^Error:/);
    // A page answering a POST still offers its language links, to the step's GET address.
    expect(page.$('a[hreflang=fr]').attr('href')).toBe(`/interaction/${uidOf(page)}/identifier?client_id=${app.clientId}&lang=fr`);
  });

  it('answers an unknown email and a wrong password alike: same status, same page but for the email', async () => {
    const agent = new UserAgent();
    const unknownEmail = 'nobody@example.com';
    const unknown = await agent.submit(await passwordPageFor(agent, unknownEmail), 'form[action*="/password"]', { password: 'whatever it is' });
    const identifier = await agent.follow(new URL(unknown.$('a.identity-change').attr('href')!, server.url).toString());
    const wrong = await agent.submit(await enterEmail(agent, identifier, email), 'form[action*="/password"]', { password: 'whatever it is' });

    expect(unknown.status).toBe(400);
    expect(wrong.status).toBe(unknown.status);
    expect(wrong.$('#password-error').text().trim()).toBe('Incorrect email or password.');
    expect(wrong.$('input[name=password]').attr('aria-describedby')).toBe('password-error');
    const normalize = (page: PageResponse, address: string) =>
      page.body
        .replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""')
        .replaceAll(encodeURIComponent(address), 'EMAIL')
        .replaceAll(address, 'EMAIL');
    expect(normalize(wrong, email)).toBe(normalize(unknown, unknownEmail));
  });

  it('asks for a password when none is typed and keeps "Remember me" as it was', async () => {
    const agent = new UserAgent();
    const page = await agent.submit(await passwordPageFor(agent), 'form[action*="/password"]', { password: '', remember: 'on' });
    expect(page.status).toBe(400);
    expect(page.$('#password-error').text().trim()).toBe('Enter your password.');
    expect(page.$('input[name=remember]').attr('checked')).toBeDefined();
  });

  it('refuses a POST for a step the sign-in is not at, and offers to continue where it is', async () => {
    const agent = new UserAgent();
    const identifier = await openSignIn(agent);
    const csrf = identifier.$('input[name=_csrf]').val() as string;
    const early = await post(agent, identifier, 'password', { _csrf: csrf, username: email, password });
    expect(early.status).toBe(400);
    expect(early.headers.get('cache-control')).toBe('no-store');
    expect(early.$('h1').text()).toBe('This page is out of date');
    expect(early.$('a.button').attr('href')).toBe(`/interaction/${uidOf(identifier)}?client_id=${app.clientId}`);

    const consent = await post(agent, identifier, 'consent', { _csrf: csrf });
    expect(consent.status).toBe(400);
    expect(consent.$('h1').text()).toBe('This page is out of date');
  });

  it('never checks a password against an email other than the one its page showed (two tabs)', async () => {
    const agent = new UserAgent();
    const firstTab = await passwordPageFor(agent, 'nobody@example.com');
    const secondTab = await agent.follow(new URL(firstTab.$('a.identity-change').attr('href')!, server.url).toString());
    await enterEmail(agent, secondTab, email);
    // The first tab still shows nobody@example.com: its password must not be tried for ada.
    const stale = await agent.submit(firstTab, 'form[action*="/password"]', { password }, redirectUri);
    expect(stale.status).toBe(400);
    expect(stale.$('h1').text()).toBe('This page is out of date');
  });

  it('answers a form without its CSRF token with a 403 page', async () => {
    const agent = new UserAgent();
    const identifier = await openSignIn(agent);
    const missing = await post(agent, identifier, 'identifier', { email });
    expect(missing.status).toBe(403);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(missing.$('[role=alert]').text()).toContain('This form has expired or was sent from elsewhere');
    const forged = await post(agent, identifier, 'identifier', { email, _csrf: 'forged-token' });
    expect(forged.status).toBe(403);
    // Nothing moved: the interaction is still at the email step.
    const current = await agent.follow(new URL(`/interaction/${uidOf(identifier)}`, server.url).toString());
    expect(current.$('form[action*="/identifier"]').length).toBe(1);
  });

  it('sends a POST-only address opened by hand to the current step', async () => {
    const agent = new UserAgent();
    const identifier = await openSignIn(agent);
    const response = await agent.request(new URL(`/interaction/${uidOf(identifier)}/password`, server.url).toString());
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/interaction/${uidOf(identifier)}?client_id=${app.clientId}`);
  });

  describe('once the interaction is gone', () => {
    const expectReturnToApp = (page: PageResponse) => {
      expect(page.status).toBe(400);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.$('h1').text()).toBe('This sign-in has expired');
      const link = page.$('a.button');
      expect(link.text()).toBe('Return to Analytics');
      expect(link.attr('href')).toBe(`${initiateLoginUri}?iss=${encodeURIComponent(server.services.config.issuer)}`);
      expect(page.$('img.client-logo').attr('src')).toBe('https://app.example.test/logo.svg');
    };

    it('shows an expired page that leads back to the app, for GET and POST alike', async () => {
      const agent = new UserAgent();
      const identifier = await openSignIn(agent);
      await (await server.host.provider.Interaction.find(uidOf(identifier)))!.destroy();

      expectReturnToApp(await agent.follow(identifier.url));
      expectReturnToApp(await agent.submit(identifier, 'form', { email }));
      // Without any cookie (another browser, or the cookie expired with the interaction).
      expectReturnToApp(await new UserAgent().follow(identifier.url));
    });

    it('shows the same page when the sign-in already finished (the back button after signing in)', async () => {
      const agent = new UserAgent();
      const passwordPage = await passwordPageFor(agent);
      await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
      expectReturnToApp(await agent.follow(passwordPage.url));
      expectReturnToApp(await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri));
    });

    it('stays friendly when the app is unknown or has no address to return to', async () => {
      const unknown = await new UserAgent().follow(new URL('/interaction/no-such-interaction?client_id=nope', server.url).toString());
      expect(unknown.status).toBe(400);
      expect(unknown.$('h1').text()).toBe('This sign-in has expired');
      expect(unknown.$('[role=alert]').text()).toContain('Start again from the application.');
      expect(unknown.$('a.button').length).toBe(0);

      const agent = new UserAgent();
      const identifier = await openSignIn(agent, {}, otherApp);
      await (await server.host.provider.Interaction.find(uidOf(identifier)))!.destroy();
      const page = await agent.follow(identifier.url);
      expect(page.$('h1').text()).toBe('This sign-in has expired');
      expect(page.$('a.button').length).toBe(0);
    });
  });

  describe('remember me', () => {
    it('unchecked: the session cookie lives only as long as the browser (no Expires, no Max-Age)', async () => {
      const callback = await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, email, password);
      const cookies = sessionCookies(callback);
      expect(cookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual(['_session', '_session.sig']);
      for (const cookie of cookies) expect(cookie).not.toMatch(/expires=|max-age=/i);
    });

    it('checked: the session cookie lasts the configured session time', async () => {
      const callback = await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, email, password, { remember: 'on' });
      const cookies = sessionCookies(callback);
      expect(cookies).toHaveLength(2);
      const sessionMs = server.services.config.ttl.sessionSeconds * 1000;
      for (const cookie of cookies) {
        const expires = Date.parse(/expires=([^;]+)/i.exec(cookie)![1]!);
        expect(Math.abs(expires - (Date.now() + sessionMs))).toBeLessThan(60_000);
      }
    });
  });

  describe('language', () => {
    it('follows ui_locales, then Accept-Language', async () => {
      const french = await openSignIn(new UserAgent(), { ui_locales: 'fr-CA en' });
      expect(french.$('html').attr('lang')).toBe('fr');
      expect(french.$('h1').text()).toBe('Connexion');
      expect(french.$('a[href*="/company-id"]').text()).toContain("Mon ID d'entreprise");

      const fromHeader = await openSignIn(new UserAgent({ 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' }));
      expect(fromHeader.$('html').attr('lang')).toBe('fr');
    });

    it('switches with the language links, even from a page that answered a POST, and remembers the choice', async () => {
      const agent = new UserAgent();
      const passwordPage = await passwordPageFor(agent);
      const failed = await agent.submit(passwordPage, 'form[action*="/password"]', { password: 'wrong' });
      const link = failed.$('a[hreflang=fr]').attr('href')!;
      expect(link).toBe(`/interaction/${uidOf(passwordPage)}?client_id=${app.clientId}&lang=fr`);
      const french = await agent.follow(new URL(link, server.url).toString());
      expect(french.$('h1').text()).toBe('Saisissez votre mot de passe');
      expect(french.$('label.checkbox').text()).toContain('Se rappeler de moi');
      expect(french.$('a[href^="/forgot-password"]').text()).toBe('Mot de passe oublié ?');
      expect(french.$('button[type=submit]').text()).toBe('Connexion');

      // The choice outlives the step and beats the app's ui_locales on the next sign-in.
      const next = await openSignIn(agent, { ui_locales: 'en' });
      expect(next.$('html').attr('lang')).toBe('fr');
    });
  });

  describe('My company ID', () => {
    it('says clearly when the domain has no company sign-in, and links back to the email page', async () => {
      const agent = new UserAgent();
      const identifier = await openSignIn(agent);
      const companyPage = await agent.follow(new URL(identifier.$('a[href*="/company-id"]').attr('href')!, server.url).toString());
      expect(companyPage.$('h1').text()).toBe('Sign in with your company ID');
      const failed = await agent.submit(companyPage, 'form', { email: 'grace@navy.example' });
      expect(failed.status).toBe(400);
      expect(failed.$('#email-error').text()).toContain('Company sign-in is not set up for navy.example.');
      const back = failed.$('a[href*="/identifier"]');
      expect(back.text()).toBe('I have my own email address');
      const identifierAgain = await agent.follow(new URL(back.attr('href')!, server.url).toString());
      expect(identifierAgain.$('form[action*="/identifier"]').length).toBe(1);
    });

    it('sends a company email to its connection, from the email page and from the company ID page', async () => {
      // Stands in for the enterprise connections' discovery, which lives behind the same interface.
      const companyDiscovery: HomeRealmDiscovery = {
        discover: (address) => Promise.resolve(address.endsWith('@navy.example') ? { kind: 'federated', connectionId: 'navy-saml' } : { kind: 'password' }),
      };
      // A server of its own, built with that discovery: nothing is swapped in a running server.
      const company = await startTestServer({ services: (services) => ({ ...services, hrd: { ...services.hrd, homeRealmDiscovery: companyDiscovery } }) });
      try {
        const companyApp = await registerRelyingParty(company);
        const agent = new UserAgent();
        const identifier = await openSignIn(agent, {}, companyApp);
        const uid = uidOf(identifier);

        const fromIdentifier = await agent.request(new URL(identifier.$('form').attr('action')!, company.url).toString(), {
          form: { _csrf: identifier.$('input[name=_csrf]').val() as string, email: 'grace@navy.example' },
        });
        expect(fromIdentifier.status).toBe(303);
        expect(fromIdentifier.headers.get('location')).toBe(`/interaction/${uid}/federated/navy-saml?client_id=${companyApp.clientId}`);

        // Back from the company's page: the email page again, with the address filled in.
        const back = await agent.follow(identifier.url);
        expect(back.$('input[name=email]').val()).toBe('grace@navy.example');

        const companyPage = await agent.follow(new URL(`/interaction/${uid}/company-id`, company.url).toString());
        const fromCompanyPage = await agent.request(new URL(companyPage.$('form').attr('action')!, company.url).toString(), {
          form: { _csrf: companyPage.$('input[name=_csrf]').val() as string, email: 'grace@navy.example' },
        });
        expect(fromCompanyPage.status).toBe(303);
        expect(fromCompanyPage.headers.get('location')).toBe(`/interaction/${uid}/federated/navy-saml?client_id=${companyApp.clientId}`);
      } finally {
        await company.close();
      }
    });
  });

  describe('consent for a third-party app', () => {
    it('names the app and the account, and reaches the app when allowed', async () => {
      const agent = new UserAgent();
      const passwordPage = await enterEmail(agent, await openSignIn(agent, {}, otherApp), email);
      const consent = await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
      expect(consent.status).toBe(200);
      expect(consent.headers.get('cache-control')).toBe('no-store');
      expect(consent.$('[role=alert], .identity-email').text()).toContain(email);
      expect(consent.$('p').text()).toContain('Test App would like to:');
      const callback = await agent.submit(consent, 'form[action*="/consent"]', {}, redirectUri);
      expect(new URL(callback.url).searchParams.get('code')).toBeTruthy();
    });

    it('returns access_denied to the app when denied', async () => {
      const agent = new UserAgent();
      // Consent is remembered from the test above; prompt=consent asks again all the same.
      const passwordPage = await enterEmail(agent, await openSignIn(agent, { prompt: 'consent' }, otherApp), email);
      const consent = await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
      const callback = await agent.submit(consent, 'form[action*="/abort"]', {}, redirectUri);
      expect(new URL(callback.url).searchParams.get('error')).toBe('access_denied');
    });
  });

  describe('sign-out', () => {
    const confirmSignOut = async (agent: UserAgent) => {
      const request = await authorizationRequest(app.config);
      const callback = await signInThroughBrowserless(agent, request.url, email, password);
      const tokens = await exchangeCode(app.config, callback.url, request);
      const confirmation = await agent.follow(client.buildEndSessionUrl(app.config, { id_token_hint: tokens.id_token! }).toString());
      expect(confirmation.status).toBe(200);
      expect(confirmation.$('h1').text()).toBe('Sign out');
      expect(confirmation.$('img.client-logo').attr('src')).toBe('https://app.example.test/logo.svg');
      return confirmation;
    };

    it('signs out of the account and says so', async () => {
      const agent = new UserAgent();
      const confirmation = await confirmSignOut(agent);
      expect(confirmation.$('button[name=logout]').text()).toBe('Sign out of my account');
      const signedOut = await agent.submit(confirmation, 'form#op\\.logoutForm', { logout: 'yes' });
      expect(signedOut.status).toBe(200);
      expect(signedOut.$('h1').text()).toBe('Signed out');
      const again = await openSignIn(agent);
      expect(again.$('form[action*="/identifier"]').length).toBe(1);
    });

    it('can sign out of the app only, keeping the account signed in, and leads back to the app', async () => {
      const agent = new UserAgent();
      const confirmation = await confirmSignOut(agent);
      expect(confirmation.$('button:not([name])').text()).toBe('Sign out of Analytics only');
      const signedOut = await agent.submit(confirmation, 'form#op\\.logoutForm', {});
      expect(signedOut.$('h1').text()).toBe('Signed out of Analytics');
      expect(signedOut.$('a.button').text()).toBe('Return to Analytics');
      const request = await authorizationRequest(app.config);
      const callback = await agent.follow(request.url, {}, redirectUri);
      expect(new URL(callback.url).searchParams.get('code')).toBeTruthy();
    });
  });
});
