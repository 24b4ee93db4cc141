import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/admin/admin-principal.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import type { RunningServer } from '../src/server.ts';
import { type AppCallbackServer, browserAvailable, browserSkipReason, launchBrowser, screenshot, startAppCallbackServer } from './helpers/browser.ts';
import { TestDnsServer } from './helpers/dns-server.ts';
import { authorizationRequest, discover, exchangeCode, type TestClient } from './helpers/relying-party.ts';
import { TestSamlIdp } from './helpers/saml-idp.ts';
import { startTestServer } from './helpers/test-server.ts';

const password = 'journey passphrase 2026';

/**
 * The whole self-serve SSO setup, as an organization owner does it in the admin center: sign in
 * through the ordinary pages, claim the domain (its TXT record published on the test DNS server),
 * add the SAML connection from the IdP's metadata URL, run the test sign-in, enable it, enforce
 * SSO; then a member of the domain is sent to the IdP.
 */
describe.skipIf(!browserAvailable)(`admin center journey in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let server: RunningServer;
  let browser: Browser;
  let dns: TestDnsServer;
  let idp: TestSamlIdp;
  let appServer: AppCallbackServer;
  let app: TestClient;
  let organizationId: string;

  beforeAll(async () => {
    dns = await new TestDnsServer().start();
    // The service resolves upstream hosts through this DNS server only: the IdP's host is named there.
    dns.setAddress('localhost', '127.0.0.1');
    server = await startTestServer({ overrides: { dnsServers: [dns.address] } });
    browser = await launchBrowser();
    // On "localhost", the IdP is another site than the service, as a company IdP is.
    idp = await TestSamlIdp.start({ hostname: 'localhost' });
    appServer = await startAppCallbackServer();
    const registered = await server.services.oidc.clients.create(server.services.db, {
      name: 'Product',
      redirectUris: [appServer.callbackUrl],
      firstParty: true,
    });
    app = { clientId: registered.clientId, config: await discover(server.url, registered.clientId, registered.clientSecret) };

    // The operator creates the organization and names its owner; everything else is the owner's.
    const { accounts, orgs, admin, factors, db } = server.services;
    organizationId = (await admin.adminOrganizations.create(cliActor, { name: 'Journeyco' })).id;
    for (const email of ['olivia@journeyco.example', 'keeper@journeyco.example']) {
      const account = await accounts.service.createAccount({ email, password, emailVerified: true });
      await orgs.organizations.addMember(db, organizationId, account.id);
      await admin.organizationAdmins.grant(cliActor, organizationId, { email, role: 'owner' });
    }
    // The break-glass owner keeps a password and a second factor.
    const keeper = (await accounts.repository.findByEmail('keeper@journeyco.example'))!;
    const enrolment = (await factors.service.beginTotp(keeper.id, keeper.email))!;
    expect((await factors.service.confirmTotp(keeper.id, totpCodeAt(enrolment.secret, new Date()))).confirmed).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await server?.close();
    await dns?.close();
    appServer?.close();
  });

  // First, while the owner still signs in with a password (SSO is enforced at the end of the journey).
  it('adds a SAML connection from an uploaded metadata file, with the keyboard', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/admin`);
    await page.getByLabel('Email address').fill('olivia@journeyco.example');
    await page.getByLabel('Email address').press('Enter');
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.goto(`${server.url}/admin/orgs/${organizationId}/sso`);
    await page.getByLabel('Name').first().fill('From a file');
    await page.getByLabel('Or a metadata file').setInputFiles({ name: 'idp-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(idp.metadataXml) });
    await page.waitForFunction(() => (document.getElementById('saml-metadata-xml') as HTMLTextAreaElement).value.includes('EntityDescriptor'));
    await page.getByLabel('Attribute names').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'From a file', level: 1 }).waitFor();
    expect(await page.locator('.sso-state').textContent()).toBe('Draft: not tested yet');
    await page.close();
  });

  it('an owner claims the domain, sets SAML up from the IdP metadata, tests, enables and enforces it; a member is then sent to the IdP', async () => {
    const page = await browser.newPage();
    // Signed out, /admin goes through the ordinary sign-in pages and back.
    await page.goto(`${server.url}/admin`);
    await page.getByLabel('Email address').fill('olivia@journeyco.example');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/orgs/${organizationId}/users`);

    // Domains: claim, publish the TXT record shown, verify.
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.getByLabel('Domain', { exact: true }).fill('journeyco.example');
    await page.getByRole('button', { name: 'Claim', exact: true }).click();
    await page.getByText('The domain is claimed').waitFor();
    const recordName = (await page.locator('code.txt-name').textContent())!;
    const recordValue = (await page.locator('code.txt-value').textContent())!;
    dns.setTxt(recordName, [recordValue]);
    await screenshot(page, 'admin-domain-claimed');
    await page.getByRole('button', { name: 'Verify: journeyco.example' }).click();
    await page.getByText('The domain is verified.').waitFor();

    // SSO: a SAML connection from the IdP's metadata URL, a draft.
    await page.getByRole('link', { name: 'SSO', exact: true }).click();
    await page.getByLabel('Name').first().fill('Journeyco IdP');
    await page.getByLabel('Metadata URL').fill(idp.metadataUrl);
    await page.getByRole('button', { name: 'Add the SAML connection' }).click();
    await page.getByRole('heading', { name: 'Journeyco IdP', level: 1 }).waitFor();
    expect(await page.locator('.sso-state').textContent()).toBe('Draft: not tested yet');
    // The IdP's administrator registers our service provider from the metadata the page links to.
    const spMetadataUrl = (await page.getByRole('link', { name: /\/saml\/metadata$/ }).getAttribute('href'))!;
    idp.trust(await (await fetch(spMetadataUrl)).text());
    idp.user = { nameId: 'tester@journeyco.example', email: 'tester@journeyco.example', givenName: 'Tess' };
    await screenshot(page, 'admin-connection-draft');

    // The test sign-in: the real flow at the IdP, showing what it sent; nobody is signed in.
    await page.getByRole('button', { name: 'Run a test sign-in' }).click();
    await page.getByRole('heading', { name: 'Test sign-in succeeded' }).waitFor();
    expect(await page.locator('table').first().textContent()).toContain('tester@journeyco.example');
    await screenshot(page, 'admin-connection-tested');
    await page.getByRole('link', { name: 'Back to the connection in the admin center' }).click();
    expect(await page.locator('.sso-state').textContent()).toBe('Tested, not enabled');
    await page.getByRole('button', { name: 'Enable the connection' }).click();
    await page.getByText('The connection is enabled').waitFor();

    // Enforce SSO, naming the break-glass owner.
    await page.getByRole('link', { name: 'All SSO connections' }).click();
    await page.getByLabel('Break-glass owner (email)').fill('keeper@journeyco.example');
    await page.getByRole('button', { name: 'Enforce SSO' }).click();
    await page.getByText('SSO is enforced: your people sign in').waitFor();
    expect(await page.locator('.sso-state').textContent()).toContain('keeper@journeyco.example');
    await screenshot(page, 'admin-sso-enforced');
    await page.close();

    // A member of the domain signing in to a product is sent to the company IdP, and back to the app.
    const member = await browser.newContext();
    const memberPage = await member.newPage();
    idp.user = { nameId: 'mia@journeyco.example', email: 'mia@journeyco.example', givenName: 'Mia' };
    const request = await authorizationRequest(app.config, { redirect_uri: appServer.callbackUrl });
    await memberPage.goto(request.url);
    await memberPage.getByLabel('Email address').fill('mia@journeyco.example');
    await memberPage.getByRole('button', { name: 'Continue' }).click();
    await memberPage.waitForURL(`${appServer.callbackUrl}**`);
    expect(idp.lastRequest?.subjectNameId).toBe('mia@journeyco.example');
    const tokens = await exchangeCode(app.config, memberPage.url(), request);
    expect(tokens.claims()?.sub).toBe((await server.services.accounts.repository.findByEmail('mia@journeyco.example'))?.id);
    await member.close();

    const actions = await server.services.db
      .selectFrom('audit_events')
      .select('action')
      .where('organization_id', '=', organizationId)
      .where('action', 'in', ['domain.claimed', 'domain.verified', 'connection.created', 'connection.enabled', 'sso.enforced'])
      .orderBy('created_at')
      .execute();
    // After the connection the first test added from a file.
    expect(actions.map((row) => row.action)).toEqual([
      'connection.created',
      'domain.claimed',
      'domain.verified',
      'connection.created',
      'connection.enabled',
      'sso.enforced',
    ]);
  });
});
