import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { type AppCallbackServer, browserAvailable, browserSkipReason, launchBrowser, screenshot, startAppCallbackServer } from './helpers/browser.ts';
import { authorizationRequest, discover, exchangeCode, type TestClient } from './helpers/relying-party.ts';
import { TestSamlIdp } from './helpers/saml-idp.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';

describe.skipIf(!browserAvailable)(`enterprise sign-in in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let server: RunningServer;
  let browser: Browser;
  let app: TestClient;
  let appServer: AppCallbackServer;
  let appCallback: string;
  let idp: TestSamlIdp;
  let upstream: UpstreamOidcProvider;
  let samlConnection: string;
  let oidcConnection: string;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    appServer = await startAppCallbackServer();
    appCallback = appServer.callbackUrl;
    const registered = await server.services.oidc.clients.create(server.services.db, { name: 'Browser App', redirectUris: [appCallback], firstParty: true });
    app = { clientId: registered.clientId, config: await discover(server.url, registered.clientId, registered.clientSecret) };
    // On "localhost", the IdP is another site than the service: its response is a cross-site form post.
    idp = await TestSamlIdp.start({ hostname: 'localhost' });
    // The company OIDC IdP answers on "localhost": a host of its own, so its cookies never mix with ours.
    upstream = await UpstreamOidcProvider.listen('/oauth2', 'localhost');
    const acme = await server.services.orgs.organizationService.create({ name: 'Acme', domains: ['acme.test'], verifiedByOperator: true });
    const saml = await server.services.federation.connectionSetup.createSaml({
      organizationId: acme.id,
      enabledByOperator: true,
      name: 'Acme',
      metadata: { url: idp.metadataUrl },
      enforceSso: false,
      signAuthnRequests: true,
    });
    samlConnection = saml.id;
    idp.trust(await (await fetch(saml.metadataUrl)).text());
    const globex = await server.services.orgs.organizationService.create({ name: 'Globex', domains: ['globex.test'], verifiedByOperator: true });
    const oidc = await server.services.federation.connectionSetup.createOidc({
      organizationId: globex.id,
      enabledByOperator: true,
      name: 'Globex',
      issuer: upstream.issuer,
      clientId: 'signin',
      clientSecret: 'globex-secret-0123456789',
      enforceSso: false,
    });
    oidcConnection = oidc.id;
    await upstream.configure({
      clients: [{ client_id: 'signin', client_secret: 'globex-secret-0123456789', redirect_uris: [oidc.redirectUri] }],
      account: { sub: 'globex-77', claims: { email: 'lisa@globex.test', email_verified: true, given_name: 'Lisa', family_name: 'Simpson' } },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await upstream?.close();
    await idp?.close();
    await server?.close();
    appServer?.close();
  });

  /** Opens the app's sign-in in a new page and returns the interaction it reached. */
  async function openSignIn(): Promise<{ page: Page; uid: string; request: Awaited<ReturnType<typeof authorizationRequest>> }> {
    const request = await authorizationRequest(app.config, { redirect_uri: appCallback });
    const page = await browser.newPage();
    await page.goto(request.url);
    const uid = /\/interaction\/([^/?#]+)/.exec(page.url())![1]!;
    return { page, uid, request };
  }

  it('goes to the company SAML IdP and back (auto-posted response), creating the user just in time', async () => {
    idp.user = { nameId: 'wile.e', email: 'wile@acme.test', givenName: 'Wile E.', familyName: 'Coyote' };
    const { page, uid, request } = await openSignIn();
    await page.goto(`${server.url}/interaction/${uid}/federated/${samlConnection}?login_hint=wile@acme.test`);
    await page.waitForURL(`${appCallback}**`);
    expect(idp.lastRequest?.subjectNameId).toBe('wile@acme.test');
    const tokens = await exchangeCode(app.config, page.url(), request);
    expect(tokens.claims()?.sub).toBe((await server.services.accounts.repository.findByEmail('wile@acme.test'))?.id);
    await page.close();
  });

  it('typing a work email on the sign-in page goes to the company IdP and back to the app', async () => {
    idp.user = { nameId: 'tweety', email: 'tweety@acme.test', givenName: 'Tweety' };
    const { page, request } = await openSignIn();
    await page.getByLabel('Email address').fill('tweety@acme.test');
    await screenshot(page, 'enterprise-work-email');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${appCallback}**`);
    expect(idp.lastRequest?.subjectNameId).toBe('tweety@acme.test');
    await exchangeCode(app.config, page.url(), request);
    await page.close();
  });

  it('My company ID: a company email goes to its IdP; "I have my own email address" leads back', async () => {
    const { page, request } = await openSignIn();
    await page.getByRole('link', { name: 'My company ID' }).click();
    await page.getByRole('link', { name: 'I have my own email address' }).click();
    await page.getByRole('link', { name: 'My company ID' }).click();
    await page.getByLabel('Company email').fill('lisa@globex.test');
    await screenshot(page, 'enterprise-company-id');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${appCallback}**`);
    await exchangeCode(app.config, page.url(), request);
    await page.close();
  });

  it('links an existing standard account on its first company sign-in', async () => {
    const standard = await server.services.accounts.service.createAccount({ email: 'sam@acme.test', password: 'yosemite sam 1945', name: 'Sam' });
    idp.user = { nameId: 'sam-at-acme', email: 'sam@acme.test', givenName: 'Yosemite', familyName: 'Sam' };
    const { page, request } = await openSignIn();
    await page.getByLabel('Email address').fill('sam@acme.test');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${appCallback}**`);
    expect((await exchangeCode(app.config, page.url(), request)).claims()?.sub).toBe(standard.id);
    await page.close();
  });

  it('refuses the password of a user whose organization enforces SSO, and offers the company sign-in', async () => {
    const initrode = await server.services.orgs.organizationService.create({ name: 'Initrode', domains: ['initrode.test'], verifiedByOperator: true });
    const enforced = await server.services.federation.connectionSetup.createSaml({
      organizationId: initrode.id,
      enabledByOperator: true,
      name: 'Initrode',
      metadata: { xml: idp.metadataXml },
      enforceSso: true,
      signAuthnRequests: true,
    });
    const member = await server.services.accounts.service.createAccount({ email: 'milton@example.test', password: 'red stapler 1999', emailVerified: true });
    await server.services.orgs.organizations.addMember(server.services.db, initrode.id, member.id);
    const { page } = await openSignIn();
    await page.getByLabel('Email address').fill('milton@example.test');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill('red stapler 1999');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Your organization requires you to sign in with your company account.').waitFor();
    await screenshot(page, 'enterprise-sso-enforced');
    expect(await page.getByRole('link', { name: 'Continue with company sign-in' }).getAttribute('href')).toMatch(
      new RegExp(`/federated/${enforced.id}\\?client_id=[\\w-]+$`),
    );
    await page.close();
  });

  it('goes to the company OIDC IdP and back, creating the user just in time', async () => {
    const { page, uid, request } = await openSignIn();
    await page.goto(`${server.url}/interaction/${uid}/federated/${oidcConnection}?login_hint=lisa@globex.test`);
    await page.waitForURL(`${appCallback}**`);
    const tokens = await exchangeCode(app.config, page.url(), request);
    expect(tokens.claims()?.sub).toBe((await server.services.accounts.repository.findByEmail('lisa@globex.test'))?.id);
    expect(upstream.lastAuthorizationParams?.login_hint).toBe('lisa@globex.test');
    await page.close();
  });

  it('explains a cancelled company sign-in and offers a way back', async () => {
    upstream.behaviour = 'deny';
    try {
      const { page, uid } = await openSignIn();
      await page.goto(`${server.url}/interaction/${uid}/federated/${oidcConnection}`);
      await page.getByRole('heading', { name: 'Company sign-in did not work' }).waitFor();
      await screenshot(page, 'enterprise-cancelled');
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/cancelled/);
      await page.getByRole('link', { name: 'Français' }).click();
      await page.getByRole('heading', { name: "La connexion d'entreprise n'a pas abouti" }).waitFor();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/annulée/);
      await page.getByRole('link', { name: 'English' }).click();
      await page.getByRole('link', { name: 'Sign in another way' }).click();
      await page.waitForURL(`${server.url}/interaction/${uid}?client_id=${app.clientId}`);
      await page.close();
    } finally {
      upstream.behaviour = 'login';
    }
  });
});
