import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import type { RunningServer } from '../src/server.ts';
import { resume, startInteraction } from './helpers/federation-journey.ts';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import {
  closeSocialStandIns,
  configureSocialStandIns,
  listenSocialStandIns,
  otherTenant,
  type SocialStandIns,
  socialClient,
  socialSettings,
  tenant,
} from './helpers/social-upstreams.ts';
import { startTestServer } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';
import { UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

describe('social sign-in (Google, Microsoft, LinkedIn, Facebook stand-ins on loopback)', () => {
  let server: RunningServer;
  let app: TestClient;
  let standIns: SocialStandIns;
  let withMail: ServerWithMail;

  beforeAll(async () => {
    standIns = await listenSocialStandIns();
    withMail = await startServerWithMail({ overrides: { social: socialSettings(standIns) } });
    server = withMail.server;
    await configureSocialStandIns(standIns, server.url);
    app = await registerRelyingParty(server);
  });
  afterAll(async () => {
    await closeSocialStandIns(standIns);
    await withMail?.close();
  });

  /** Opens the app's sign-in and clicks a provider's button; returns where our server sends the browser. */
  async function clickProvider(provider: string, options: { agent?: UserAgent; remember?: boolean; params?: Record<string, string> } = {}) {
    const agent = options.agent ?? new UserAgent();
    const started = await startInteraction(agent, app, options.params);
    const form = started.page.$('form[action*="/social?"]');
    const click = await agent.request(new URL(form.attr('action')!, server.url).toString(), {
      form: { _csrf: String(form.find('input[name=_csrf]').val()), provider, ...(options.remember ? { remember: 'on' } : {}) },
    });
    expect(click.status, click.body.slice(0, 500)).toBe(303);
    return { agent, ...started, location: click.headers.get('location')! };
  }

  /** Follows the provider (which signs its user in at once) back to our fixed callback URL, without following it. */
  async function providerAnswer(agent: UserAgent, location: string): Promise<URL> {
    let response = await agent.request(location);
    for (let hops = 0; hops < 10 && !response.headers.get('location')?.includes('/federation/'); hops += 1) {
      expect(response.status, response.body.slice(0, 300)).toBeGreaterThanOrEqual(300);
      response = await agent.request(new URL(response.headers.get('location')!, response.url).toString());
    }
    return new URL(response.headers.get('location')!, response.url);
  }

  /** Click, provider, callback, resume: the app's callback, or the page where the journey stopped. */
  async function signInWith(provider: string, options: Parameters<typeof clickProvider>[1] = {}) {
    const clicked = await clickProvider(provider, options);
    const callback = await providerAnswer(clicked.agent, clicked.location);
    const end = await resume(clicked.agent, await clicked.agent.request(callback.toString()));
    return { ...clicked, callback, end };
  }

  async function userinfoAt(end: PageResponse, request: Awaited<ReturnType<typeof clickProvider>>['request']) {
    expect(end.url.startsWith(redirectUri), end.body.slice(0, 800)).toBe(true);
    const tokens = await exchangeCode(app.config, end.url, request);
    return client.fetchUserInfo(app.config, tokens.access_token, tokens.claims()!.sub);
  }

  it('Google: state, nonce and PKCE upstream; a new verified identity creates an account without password; later sign-ins go straight through', async () => {
    const { location, end, request, callback } = await signInWith('google');
    const authorize = new URL(location);
    expect(authorize.origin + authorize.pathname).toBe(`${standIns.google.issuer}/auth`);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.url}/federation/social-google/callback`);
    expect(callback.pathname).toBe('/federation/social-google/callback');

    const userinfo = await userinfoAt(end, request);
    expect(userinfo).toMatchObject({ email: 'ada@gmail.test', email_verified: true, name: 'Ada Lovelace' });
    const account = await server.services.accounts.repository.findByEmail('ada@gmail.test');
    expect(account?.password_hash).toBeNull();

    const again = await signInWith('google');
    expect((await userinfoAt(again.end, again.request)).sub).toBe(account!.id);
  });

  it('LinkedIn: standard OpenID Connect with email_verified; the client secret goes in the form body', async () => {
    const { end, request } = await signInWith('linkedin');
    expect(await userinfoAt(end, request)).toMatchObject({ email: 'grace@linkedin.test', email_verified: true, given_name: 'Grace' });
    expect(standIns.linkedin.lastAuthorizationParams).toMatchObject({ scope: 'openid profile email', code_challenge_method: 'S256' });
  });

  describe('Microsoft', () => {
    const oid = '00000000-0000-0000-66f3-3332eca7ea81';

    it('validates the ID token against the issuer template filled with its tid, and keys the person by tenant and object id', async () => {
      const { end, request } = await signInWith('microsoft');
      const userinfo = await userinfoAt(end, request);
      expect(userinfo).toMatchObject({ email: 'alan@contoso.test', email_verified: true });
      const identity = await server.services.db
        .selectFrom('federated_identities')
        .selectAll()
        .where('connection_id', '=', 'social-microsoft')
        .executeTakeFirstOrThrow();
      expect(identity.subject).toBe(`${tenant}:${oid}`);
      expect(identity.account_id).toBe(userinfo.sub);
    });

    it('refuses an ID token whose tid is not the tenant its issuer names', async () => {
      const previous = standIns.microsoft.account;
      standIns.microsoft.account = { sub: 'another-pairwise-sub', claims: { ...previous.claims, tid: otherTenant, oid: 'x-1', email: 'mallory@contoso.test' } };
      try {
        const { end } = await signInWith('microsoft');
        expect(end.url.startsWith(redirectUri)).toBe(false);
        expect(end.$('h1').text()).toMatch(/Signing in with Microsoft did not work/);
        expect(end.$('[role=alert]').text()).toMatch(/could not be verified/);
        expect(await server.services.accounts.repository.findByEmail('mallory@contoso.test')).toBeUndefined();
      } finally {
        standIns.microsoft.account = previous;
      }
    });

    it('does not trust the email as verified unless Microsoft says so (xms_edov)', async () => {
      const previous = standIns.microsoft.account;
      standIns.microsoft.account = { sub: 'pairwise-2', claims: { tid: tenant, oid: 'oid-unverified', email: 'eve@contoso.test', name: 'Eve' } };
      try {
        const { end } = await signInWith('microsoft');
        expect(end.$('[role=status]').text()).toMatch(/Microsoft did not confirm your email address/);
        expect(await server.services.accounts.repository.findByEmail('eve@contoso.test')).toBeUndefined();
      } finally {
        standIns.microsoft.account = previous;
      }
    });
  });

  describe('Facebook', () => {
    it('signs the Graph call with appsecret_proof and, the email being unverified, links only after the person signs in', async () => {
      await server.services.accounts.service.createAccount({ email: 'linus@example.com', password: 'penguins 1991', emailVerified: true });
      const { agent, end, request, location } = await signInWith('facebook');
      const authorize = new URL(location);
      expect(authorize.searchParams.get('state')).toBeTruthy();
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('scope')).toBe('email public_profile');
      expect(standIns.facebook.lastGraphQuery).toMatchObject({ fields: 'id,name,first_name,last_name,email' });
      expect(standIns.facebook.lastGraphQuery?.appsecret_proof).toMatch(/^[0-9a-f]{64}$/);

      expect(end.$('[role=status]').text()).toMatch(/Facebook did not confirm your email address/);
      expect(await server.services.accounts.repository.findByEmail('linus@facebook.test')).toBeUndefined();
      const passwordPage = await enterEmail(agent, end, 'linus@example.com');
      expect(passwordPage.$('[role=status]').text()).toMatch(/Facebook did not confirm your email address/);
      const linked = await agent.submit(passwordPage, 'form[action*="/password"]', { password: 'penguins 1991' }, redirectUri);
      const account = await server.services.accounts.repository.findByEmail('linus@example.com');
      expect((await userinfoAt(linked, request)).sub).toBe(account!.id);

      const again = await signInWith('facebook');
      expect((await userinfoAt(again.end, again.request)).sub).toBe(account!.id);
    });

    it('is refused by the Graph API when the appsecret_proof is wrong, and says so', async () => {
      standIns.facebook.graphAppSecret = 'another-app-secret';
      try {
        const { end } = await signInWith('facebook');
        expect(end.url.startsWith(redirectUri)).toBe(false);
        expect(end.$('[role=alert]').text()).toMatch(/The answer from Facebook could not be verified/);
      } finally {
        standIns.facebook.graphAppSecret = socialClient.clientSecret;
      }
    });
  });

  describe('linking', () => {
    it('never links automatically: an identity whose verified email has an account asks to sign in, then links and carries on', async () => {
      await server.services.accounts.service.createAccount({ email: 'barbara@gmail.test', password: 'liskov substitution', emailVerified: true });
      const account = await server.services.accounts.repository.findByEmail('barbara@gmail.test');
      const previous = standIns.google.account;
      standIns.google.account = { sub: 'google-barbara', claims: { email: 'barbara@gmail.test', email_verified: true, name: 'Barbara Liskov' } };
      try {
        const { agent, end, request } = await signInWith('google');
        expect(new URL(end.url).pathname).toMatch(/^\/interaction\/[^/]+$/);
        expect(end.$('[role=status]').text()).toMatch(/This email already has an account: sign in to link it/);
        expect(end.$('input[name=username]').val()).toBe('barbara@gmail.test');
        expect(await server.services.federation.identities.listOfAccount(account!.id)).toHaveLength(0);

        const wrong = await agent.submit(end, 'form[action*="/password"]', { password: 'not it' }, redirectUri);
        expect(wrong.status).toBe(400);
        expect(await server.services.federation.identities.listOfAccount(account!.id)).toHaveLength(0);

        const linked = await agent.submit(end, 'form[action*="/password"]', { password: 'liskov substitution' }, redirectUri);
        expect((await userinfoAt(linked, request)).sub).toBe(account!.id);
        expect(await server.services.federation.identities.listOfAccount(account!.id)).toMatchObject([
          { connection_id: 'social-google', subject: 'google-barbara' },
        ]);

        const again = await signInWith('google');
        expect((await userinfoAt(again.end, again.request)).sub).toBe(account!.id);
      } finally {
        standIns.google.account = previous;
      }
    });

    it('links after a company sign-in too; and social sign-in never gets around enforced company sign-in', async () => {
      const companyIdp = await UpstreamOidcProvider.listen();
      try {
        const organization = await server.services.orgs.organizationService.create({ name: 'Initech', domains: ['initech.test'], verifiedByOperator: true });
        const connection = await server.services.federation.connectionSetup.createOidc({
          organizationId: organization.id,
          enabledByOperator: true,
          name: 'Initech IdP',
          issuer: companyIdp.issuer,
          clientId: 'signin-service',
          clientSecret: 'initech-secret',
          enforceSso: false,
        });
        await companyIdp.configure({
          clients: [
            {
              client_id: 'signin-service',
              client_secret: 'initech-secret',
              redirect_uris: [connection.redirectUri],
              grant_types: ['authorization_code'],
              response_types: ['code'],
            },
          ],
          account: { sub: 'initech-0001', claims: { email: 'peter@initech.test', email_verified: true, name: 'Peter Gibbons' } },
        });
        const account = await server.services.accounts.service.createAccount({ email: 'peter@initech.test', emailVerified: true });
        const previous = standIns.google.account;
        standIns.google.account = { sub: 'google-peter', claims: { email: 'peter@initech.test', email_verified: true } };
        try {
          const { agent, end, request, uid } = await signInWith('google');
          expect(end.$('[role=status]').text()).toMatch(/sign in to link it/);
          const toCompany = await agent.request(`${server.url}/interaction/${uid}/federated/${connection.id}`);
          const callback = await providerAnswer(agent, toCompany.headers.get('location')!);
          const linked = await resume(agent, await agent.request(callback.toString()));
          expect((await userinfoAt(linked, request)).sub).toBe(account.id);
          const methods = await server.services.federation.identities.listOfAccount(account.id);
          expect(methods.map((identity) => identity.connection_id).sort()).toEqual([connection.id, 'social-google'].sort());

          await server.services.orgs.organizations.setSsoEnforced(server.services.db, organization.id, true);
          const refused = await signInWith('google');
          expect(refused.end.url.startsWith(redirectUri)).toBe(false);
          expect(refused.end.$('[role=alert]').text()).toMatch(/requires you to sign in with your company account/);
        } finally {
          standIns.google.account = previous;
        }
      } finally {
        await companyIdp.close();
      }
    });

    it('an unverified email links to no account by itself and creates none', async () => {
      await server.services.accounts.service.createAccount({ email: 'ken@gmail.test', password: 'unix epoch 1970', emailVerified: true });
      const previous = standIns.google.account;
      standIns.google.account = { sub: 'google-ken', claims: { email: 'ken@gmail.test', email_verified: false } };
      try {
        const { agent, end } = await signInWith('google');
        expect(end.$('[role=status]').text()).toMatch(/Google did not confirm your email address/);
        expect(end.$('[role=status]').text()).not.toMatch(/already has an account/);
        const account = await server.services.accounts.repository.findByEmail('ken@gmail.test');
        expect(await server.services.federation.identities.listOfAccount(account!.id)).toHaveLength(0);

        // The person may decline: the identity is dropped and the page is a plain sign-in page again.
        const declined = await agent.submit(end, 'form[action*="/social/forget-link?"]', {});
        expect(declined.$('[role=status]').length).toBe(0);
        const identities = await server.services.db.selectFrom('federated_identities').selectAll().where('subject', '=', 'google-ken').execute();
        expect(identities).toHaveLength(0);
      } finally {
        standIns.google.account = previous;
      }
    });
  });

  describe('confirming an email address by link, for an identity whose provider did not verify it', () => {
    it('mails a link that works only in the browser that signed in at the provider, then creates the account and carries on', async () => {
      const previous = standIns.google.account;
      standIns.google.account = { sub: 'google-unverified-1', claims: { email: 'joan@gmail.test', email_verified: false, name: 'Joan Clarke' } };
      try {
        const { agent, end, uid, request } = await signInWith('google');
        const form = end.$('form[action*="/social/confirm-email/send?"]');
        expect(form.find('input[name=email]').val()).toBe('joan@gmail.test');
        const invalid = await agent.submit(end, 'form[action*="/social/confirm-email/send?"]', { email: 'not an address' });
        expect(invalid.$('#confirm_email-error').text()).toMatch(/name@example\.com/);

        const sent = await agent.submit(end, 'form[action*="/social/confirm-email/send?"]', { email: 'joan.clarke@example.com' });
        expect(sent.$('[role=status]').text()).toMatch(/We sent a link to joan\.clarke@example\.com/);
        const mail = await withMail.sink.waitFor('joan.clarke@example.com');
        expect(mail.subject).toBe('Confirm your email address to sign in with Google');
        const link = linkTo(mail, `/interaction/${uid}/social/confirm-email`);

        // Someone else's browser (whoever had the mail sent to this address) gets nowhere.
        const elsewhere = await new UserAgent().request(link);
        expect(elsewhere.status).toBe(400);
        expect(elsewhere.$('main').text()).toMatch(/browser where you started signing in/);
        const forged = await agent.request(link.replace(/token=[^&]+/, 'token=forged-token-forged-token-forged'));
        expect(forged.status).toBe(400);

        // Opening the link confirms nothing (mail scanners open links): a button does.
        const confirmPage = await agent.request(link);
        expect(confirmPage.$('h1').text()).toBe('Confirm your email address');
        expect(await server.services.accounts.repository.findByEmail('joan.clarke@example.com')).toBeUndefined();
        const done = await agent.submit(confirmPage, 'form[action*="/social/confirm-email?"]', {}, redirectUri);
        expect(await userinfoAt(done, request)).toMatchObject({ email: 'joan.clarke@example.com', email_verified: true });
        const account = await server.services.accounts.repository.findByEmail('joan.clarke@example.com');
        expect(await server.services.federation.identities.listOfAccount(account!.id)).toMatchObject([
          { connection_id: 'social-google', subject: 'google-unverified-1' },
        ]);
        expect((await agent.request(link)).status).toBe(400);
      } finally {
        standIns.google.account = previous;
      }
    });
    it('links to the account the confirmed address already has', async () => {
      const existing = await server.services.accounts.service.createAccount({ email: 'annie@example.com', password: 'tabulating 1890', emailVerified: true });
      const previous = standIns.google.account;
      standIns.google.account = { sub: 'google-unverified-2', claims: { email_verified: false } };
      try {
        const { agent, end, uid, request } = await signInWith('google');
        await agent.submit(end, 'form[action*="/social/confirm-email/send?"]', { email: 'annie@example.com' });
        const link = linkTo(await withMail.sink.waitFor('annie@example.com'), `/interaction/${uid}/social/confirm-email`);
        const done = await agent.submit(await agent.request(link), 'form[action*="/social/confirm-email?"]', {}, redirectUri);
        expect((await userinfoAt(done, request)).sub).toBe(existing.id);
        expect(await server.services.federation.identities.listOfAccount(existing.id)).toMatchObject([{ subject: 'google-unverified-2' }]);
      } finally {
        standIns.google.account = previous;
      }
    });

    /** Signs in at Google with an unverified address and asks for a confirmation link to `email`: the page with the confirm button. */
    async function confirmationPageFor(subject: string, email: string) {
      standIns.google.account = { sub: subject, claims: { email_verified: false } };
      const { agent, end, uid } = await signInWith('google');
      await agent.submit(end, 'form[action*="/social/confirm-email/send?"]', { email });
      const link = linkTo(await withMail.sink.waitFor(email), `/interaction/${uid}/social/confirm-email`);
      return { agent, page: await agent.request(link) };
    }

    it('is all or nothing: a refused link leaves no account created or verified behind', async () => {
      const previous = standIns.google.account;
      try {
        const { agent, page } = await confirmationPageFor('google-unverified-3', 'hedy@example.com');
        // Meanwhile the same Google account was linked to another account (from another browser).
        const other = await server.services.accounts.service.createAccount({
          email: 'hedy.elsewhere@example.com',
          password: 'frequency hopping',
          emailVerified: true,
        });
        await server.services.federation.socialLinking.link({ connectionId: 'social-google', subject: 'google-unverified-3', email: undefined }, other.id);

        const refused = await agent.submit(page, 'form[action*="/social/confirm-email?"]', {}, redirectUri);
        expect(refused.status).toBe(400);
        expect(refused.$('[role=alert]').text()).toMatch(/already linked to another account/);
        expect(await server.services.accounts.repository.findByEmail('hedy@example.com')).toBeUndefined();
      } finally {
        standIns.google.account = previous;
      }
    });

    it('of two confirmations of one address racing, one wins and the other gets a page saying so, not a 500', async () => {
      const previous = standIns.google.account;
      try {
        const { agent, page } = await confirmationPageFor('google-unverified-4', 'katherine@example.com');
        const { db } = server.services;
        // The winner: another confirmation that has created the account, not yet committed.
        let commit!: () => void;
        let created!: () => void;
        const winnerCreated = new Promise<void>((resolve) => {
          created = resolve;
        });
        const winner = db.transaction().execute(async (trx) => {
          const account = await trx
            .insertInto('accounts')
            .values({ email: 'katherine@example.com', email_verified: true })
            .returningAll()
            .executeTakeFirstOrThrow();
          created();
          await new Promise<void>((resolve) => {
            commit = resolve;
          });
          return account;
        });
        await winnerCreated;

        const loser = agent.submit(page, 'form[action*="/social/confirm-email?"]', {}, redirectUri);
        // The loser reaches the unique index on the address and waits there for the winner.
        await until(async () => {
          const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into "accounts"%'`.execute(db);
          return rows.length > 0 ? true : undefined;
        }, 'the second confirmation to wait on the unique index');
        commit();
        const account = await winner;

        const lost = await loser;
        expect(lost.status).toBe(400);
        expect(lost.$('[role=alert]').text()).toMatch(/at the same moment in another window/);
        expect(await server.services.federation.identities.listOfAccount(account.id)).toEqual([]);
      } finally {
        standIns.google.account = previous;
      }
    });
  });

  describe('refusals', () => {
    it('refuses a forged state, and a state meant for another provider', async () => {
      const { agent, location } = await clickProvider('google');
      const callback = await providerAnswer(agent, location);
      const forged = new URL(callback);
      forged.searchParams.set('state', `${callback.searchParams.get('state')}x`);
      const page = await agent.request(forged.toString());
      expect(page.status).toBe(400);
      expect(page.$('[role=alert]').text()).toMatch(/does not belong to a sign-in started here/);

      const elsewhere = new URL(callback);
      elsewhere.pathname = '/federation/social-linkedin/callback';
      expect((await agent.request(elsewhere.toString())).status).toBe(400);
    });

    it('finds its sign-in again from the state only in the browser that started it', async () => {
      const { agent, location } = await clickProvider('google');
      const callback = await providerAnswer(agent, location);
      const otherBrowser = new UserAgent();
      const end = await otherBrowser.follow(callback.toString(), {}, redirectUri);
      expect(end.url.startsWith(redirectUri)).toBe(false);
      expect(end.status).toBe(400);
    });

    it('refuses an ID token whose nonce is not the one sent', async () => {
      standIns.quirks.nonce = 'a-nonce-we-never-sent';
      try {
        const { end } = await signInWith('google');
        expect(end.url.startsWith(redirectUri)).toBe(false);
        expect(end.$('[role=alert]').text()).toMatch(/The answer from Google could not be verified/);
      } finally {
        standIns.quirks.nonce = undefined;
      }
    });

    it('brings a person who cancels at the provider back to the sign-in page with a message', async () => {
      standIns.google.behaviour = 'deny';
      try {
        const { end, uid, callback } = await signInWith('google');
        expect(callback.searchParams.get('error')).toBe('access_denied');
        expect(end.status).toBe(200);
        expect(new URL(end.url).pathname).toBe(`/interaction/${uid}`);
        expect(end.$('[role=status]').text()).toMatch(/You cancelled signing in with Google/);
        expect(end.$('form[action*="/social?"] button[value=google]').length).toBe(1);
      } finally {
        standIns.google.behaviour = 'login';
      }
    });
  });

  it('carries "remember me" through the trip to the provider', async () => {
    const sessionCookie = async (agent: UserAgent) => (await agent.jar.getCookies(server.url)).find((cookie) => cookie.key === '_session');
    const remembered = await signInWith('google', { remember: true });
    expect(remembered.end.url.startsWith(redirectUri)).toBe(true);
    expect((await sessionCookie(remembered.agent))?.expires).toBeInstanceOf(Date);
    const forgotten = await signInWith('google');
    expect(forgotten.end.url.startsWith(redirectUri)).toBe(true);
    expect((await sessionCookie(forgotten.agent))?.expires).toBe('Infinity');
  });

  it('names each button for assistive technology, in English and in French', async () => {
    const { page } = await startInteraction(new UserAgent(), app);
    const names = page
      .$('form[action*="/social?"] button')
      .map((_, button) => page.$(button).text().trim())
      .get();
    expect(names).toEqual(['Sign in with Google', 'Sign in with Microsoft', 'Sign in with LinkedIn', 'Sign in with Facebook']);
    expect(
      page
        .$('form[action*="/social?"] img')
        .map((_, img) => page.$(img).attr('src'))
        .get(),
    ).toEqual(['google', 'microsoft', 'linkedin', 'facebook'].map((name) => `/assets/social/${name}.svg`));
    const french = await startInteraction(new UserAgent(), app, { ui_locales: 'fr' });
    expect(french.page.$('button[value=google]').text().trim()).toBe('Se connecter avec Google');
    const logo = await new UserAgent().request(`${server.url}/assets/social/google.svg`);
    expect(logo.headers.get('content-type')).toMatch(/image\/svg\+xml/);
  });
});

describe('social providers come from the configuration', () => {
  it('offers only the providers with a client id and secret', async () => {
    const standIns = await listenSocialStandIns();
    const server = await startTestServer({ overrides: { social: { google: socialSettings(standIns).google } } });
    try {
      const app = await registerRelyingParty(server);
      const agent = new UserAgent();
      const { page, uid } = await startInteraction(agent, app);
      expect(
        page
          .$('form[action*="/social?"] button')
          .map((_, button) => page.$(button).attr('value'))
          .get(),
      ).toEqual(['google']);
      const csrf = String(page.$('form[action*="/social?"] input[name=_csrf]').val());
      expect((await agent.request(`${server.url}/interaction/${uid}/social`, { form: { _csrf: csrf, provider: 'facebook' } })).status).toBe(404);
      expect((await agent.request(`${server.url}/federation/social-facebook/callback?state=x&code=y`)).status).toBe(404);
    } finally {
      await server.close();
      await closeSocialStandIns(standIns);
    }
  });

  it('stops the server with one clear line when a client id comes without its secret', () => {
    const environment = { NODE_ENV: 'test', SOCIAL_GOOGLE_CLIENT_ID: 'abc.apps.googleusercontent.com' };
    const secrets = { cookieSecrets: ['test-cookie-secret-0123456789abcdefghijklmnop'], keyEncryptionSecret: 'test-key-encryption-secret-0123456789abcdef' };
    expect(() => loadConfig(environment, secrets)).toThrow(
      new ConfigError('Invalid configuration: SOCIAL_GOOGLE_CLIENT_SECRET is required when SOCIAL_GOOGLE_CLIENT_ID is set'),
    );
    const parsed = loadConfig({ ...environment, SOCIAL_GOOGLE_CLIENT_SECRET: 's3cret', SOCIAL_GOOGLE_ISSUER: 'http://127.0.0.1:1/google' }, secrets);
    expect(parsed.social).toEqual({ google: { clientId: 'abc.apps.googleusercontent.com', clientSecret: 's3cret', issuer: 'http://127.0.0.1:1/google' } });
  });
});
