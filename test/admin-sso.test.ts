import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/admin/admin-principal.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import { postToAcs } from './helpers/federation-journey.ts';
import { type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { type ResponseOptions, type SamlUser, TestSamlIdp } from './helpers/saml-idp.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'a long passphrase 42';

type Person = 'owner' | 'admin' | 'otherAdmin';

describe('admin center: SSO connections set up, tested, enabled and enforced by the organization itself', () => {
  let env: ServerWithMail;
  let idp: TestSamlIdp;
  const orgs = { a: '', b: '' };
  const agents = new Map<Person, UserAgent>();
  let connectionId = '';

  const url = (path: string) => new URL(path, env.server.url).toString();
  const services = () => env.server.services;
  const ssoPath = (rest = '') => `/admin/orgs/${orgs.a}/sso${rest}`;

  async function newAccount(email: string, organizationId: string, role?: 'owner' | 'admin') {
    const account = await services().accounts.service.createAccount({ email, password, emailVerified: true });
    await services().orgs.organizations.addMember(services().db, organizationId, account.id);
    if (role) await services().admin.organizationAdmins.grant(cliActor, organizationId, { email, role });
    return account;
  }

  async function signedIn(email: string): Promise<UserAgent> {
    const agent = new UserAgent();
    const first = await agent.follow(url('/admin'));
    const passwordPage = await enterEmail(agent, first, email);
    const landed = await agent.submit(passwordPage, 'form[action*="/password"]', { password });
    expect(landed.status, landed.body.slice(0, 500)).toBe(200);
    return agent;
  }

  const page = (person: Person, path: string) => agents.get(person)!.follow(url(path));
  const submit = (person: Person, on: PageResponse, selector: string, fields: Record<string, string> = {}) => agents.get(person)!.submit(on, selector, fields);

  /** From the connection page's "Run a test sign-in" through the IdP (answering for `user`) to the result page. */
  async function runTestSignIn(user: SamlUser, options?: ResponseOptions): Promise<PageResponse> {
    const connectionPage = await page('admin', ssoPath(`/${connectionId}`));
    const agent = agents.get('admin')!;
    const toTest = await agent.request(url(ssoPath(`/${connectionId}/test`)), { form: { _csrf: connectionPage.$('input[name=_csrf]').attr('value')! } });
    expect(toTest.status).toBe(303);
    const testUrl = new URL(toTest.headers.get('location')!);
    expect(testUrl.pathname).toBe(`/federation/test/${connectionId}`);
    const start = await agent.request(testUrl.toString());
    expect(start.status).toBe(303);
    const authnRequest = await idp.parseRequest({ url: start.headers.get('location')! });
    const back = await postToAcs(agent, await idp.respond(authnRequest, user, options));
    return agent.request(new URL(back.headers.get('location')!, back.url).toString());
  }

  async function auditActions(organizationId: string): Promise<string[]> {
    const rows = await services().db.selectFrom('audit_events').select('action').where('organization_id', '=', organizationId).orderBy('created_at').execute();
    return rows.map((row) => row.action);
  }

  beforeAll(async () => {
    env = await startServerWithMail();
    idp = await TestSamlIdp.start();
    const { organizationService } = services().orgs;
    orgs.a = (await organizationService.create({ name: 'Acme', domains: ['acme-sso.test'], verifiedByOperator: true })).id;
    orgs.b = (await organizationService.create({ name: 'Bravo', domains: ['bravo-sso.test'], verifiedByOperator: true })).id;
    await newAccount('owner@acme-sso.test', orgs.a, 'owner');
    await newAccount('admin@acme-sso.test', orgs.a, 'admin');
    await newAccount('admin@bravo-sso.test', orgs.b, 'admin');
    agents.set('owner', await signedIn('owner@acme-sso.test'));
    agents.set('admin', await signedIn('admin@acme-sso.test'));
    agents.set('otherAdmin', await signedIn('admin@bravo-sso.test'));
  });
  afterAll(async () => {
    await env?.close();
    await idp?.close();
  });

  it('adds a SAML connection from the IdP metadata URL as a draft, and shows what to give the IdP', async () => {
    const sso = await page('admin', ssoPath());
    expect(sso.status).toBe(200);
    expect(sso.$('h1').text()).toBe('SSO');
    expect(sso.$('.admin-tabs a[aria-current="page"]').text()).toBe('SSO');
    const created = await submit('admin', sso, `form[action="${ssoPath('/saml')}"]`, { name: 'Acme IdP', metadata_url: idp.metadataUrl, preset: 'okta' });
    expect(created.status, created.body.slice(0, 500)).toBe(200);
    connectionId = /\/sso\/([\w-]+)\?notice=connection_created$/.exec(created.url)?.[1] ?? '';
    expect(connectionId).toMatch(/^saml-/);
    expect(created.$('h1').text()).toBe('Acme IdP');
    expect(created.$('.sso-state').text()).toBe('Draft: not tested yet');
    expect(created.$('code.acs-url').text()).toBe(`${services().config.issuer}/federation/${connectionId}/saml/acs`);
    expect(created.$('.certificates').text()).toMatch(/in \d+ days/);
    // Draft: nobody is routed to it, and it cannot be enabled yet.
    expect(await services().hrd.homeRealmDiscovery.discover('ann@acme-sso.test')).toEqual({ kind: 'password' });
    expect(created.$(`form[action$="/enable"]`).length).toBe(0);
    const early = await agents
      .get('admin')!
      .request(url(ssoPath(`/${connectionId}/enable`)), { form: { _csrf: created.$('input[name=_csrf]').attr('value')! } });
    expect(early.status).toBe(409);
    expect(early.body).toContain('Run a successful test sign-in with this connection first.');
    expect(await auditActions(orgs.a)).toContain('connection.created');
  });

  // The address rules themselves (loopback, link-local, redirects) are in sso-setup.test.ts, on a strict server.
  it('answers a metadata URL that cannot be fetched and a document with a DTD with a clear page, and saves nothing', async () => {
    const sso = await page('admin', ssoPath());
    const before = (await services().federation.connections.setupsOfOrganization(orgs.a)).length;
    const unreachable = await submit('admin', sso, `form[action="${ssoPath('/saml')}"]`, { metadata_url: 'http://127.0.0.1:9/metadata' });
    expect(unreachable.status).toBe(502);
    expect(unreachable.$('[role=alert]').text()).toContain("The identity provider's document could not be fetched from this URL.");
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${idp.metadataXml.replace(/^<\?xml[^>]*>\s*/, '').replace('entityID="', 'entityID="&xxe;')}`;
    const dtd = await submit('admin', sso, `form[action="${ssoPath('/saml')}"]`, { metadata_xml: xxe });
    expect(dtd.status).toBe(400);
    expect(dtd.body).toContain('The SAML metadata of the identity provider could not be read.');
    expect(dtd.body).not.toContain('root:');
    expect((await services().federation.connections.setupsOfOrganization(orgs.a)).length).toBe(before);
  });

  it('runs the test sign-in against the IdP from the connection page, then shows the claims received', async () => {
    idp.trust(await (await fetch(url(`/federation/${connectionId}/saml/metadata`))).text());
    const result = await runTestSignIn({
      nameId: 'ann@acme-sso.test',
      email: 'ann@acme-sso.test',
      givenName: 'Ann',
      attributeNames: { email: 'email', givenName: 'firstName' },
    });
    expect(result.$('h1').text()).toBe('Test sign-in succeeded');
    const toAdmin = result.$('a.button').attr('href');
    expect(toAdmin).toBe(ssoPath(`/${connectionId}`));
    const tested = await page('admin', toAdmin!);
    expect(tested.$('.sso-state').text()).toBe('Tested, not enabled');
    expect(tested.$('.test-claims').text()).toContain('ann@acme-sso.test');
    expect(await services().accounts.repository.findByEmail('ann@acme-sso.test')).toBeUndefined();
  });

  it('shows why a test sign-in failed (an assertion for another audience), with the way back, and records nothing', async () => {
    const result = await runTestSignIn({ nameId: 'eve@acme-sso.test', email: 'eve@acme-sso.test' }, { audience: 'https://someone-else.example/sp' });
    expect(result.status).toBe(400);
    expect(result.$('h1').text()).toBe('Test sign-in failed');
    expect(result.$('.test-failure').text()).toMatch(/^federation\.\w+: .*audience/i);
    expect(result.$('a.button').attr('href')).toBe(ssoPath(`/${connectionId}`));
    const shown = await page('admin', ssoPath(`/${connectionId}`));
    expect(shown.$('.test-claims').text()).not.toContain('eve@acme-sso.test');
  });

  it('enables the tested connection: the domain is routed to it', async () => {
    const connectionPage = await page('admin', ssoPath(`/${connectionId}`));
    const enabled = await submit('admin', connectionPage, `form[action$="/enable"]`);
    expect(enabled.status).toBe(200);
    expect(enabled.$('.notice').text()).toContain('The connection is enabled');
    expect(enabled.$('.sso-state').text()).toBe('Enabled');
    expect(await services().hrd.homeRealmDiscovery.discover('ann@acme-sso.test')).toEqual({ kind: 'federated', connectionId });
  });

  it("hides another organization's connection (404), even under the other admin's own organization", async () => {
    for (const path of [ssoPath(`/${connectionId}`), `/admin/orgs/${orgs.b}/sso/${connectionId}`]) {
      expect((await agents.get('otherAdmin')!.request(url(path))).status, path).toBe(404);
    }
    const own = await page('otherAdmin', `/admin/orgs/${orgs.b}/sso`);
    for (const path of [
      `/admin/orgs/${orgs.b}/sso/${connectionId}/disable`,
      `/admin/orgs/${orgs.b}/sso/${connectionId}/test`,
      ssoPath(`/${connectionId}/disable`),
    ]) {
      const response = await agents.get('otherAdmin')!.request(url(path), { form: { _csrf: own.$('input[name=_csrf]').attr('value')! } });
      expect(response.status, path).toBe(404);
    }
    expect((await services().federation.connections.setupOf(connectionId))?.enabled).toBe(true);
  });

  it('lets only an owner enforce SSO, with a break-glass owner who has a second factor, and says so', async () => {
    const asAdmin = await page('admin', ssoPath());
    expect(asAdmin.$(`form[action="${ssoPath('/enforce')}"]`).length).toBe(0);
    expect(asAdmin.$('main').text()).toContain('Only an owner of the organization can enforce SSO.');
    const forbidden = await agents.get('admin')!.request(url(ssoPath('/enforce')), {
      form: { _csrf: asAdmin.$('input[name=_csrf]').attr('value')!, break_glass: 'owner@acme-sso.test' },
    });
    expect(forbidden.status).toBe(403);

    const sso = await page('owner', ssoPath());
    const withoutFactor = await submit('owner', sso, `form[action="${ssoPath('/enforce')}"]`, { break_glass: 'owner@acme-sso.test' });
    expect(withoutFactor.status).toBe(400);
    expect(withoutFactor.body).toContain('must be an owner of the organization with a second factor');

    const keeper = await newAccount('keeper@acme-sso.test', orgs.a, 'owner');
    const enrolment = (await services().factors.service.beginTotp(keeper.id, keeper.email))!;
    expect((await services().factors.service.confirmTotp(keeper.id, totpCodeAt(enrolment.secret, new Date()))).confirmed).toBe(true);
    const enforced = await submit('owner', await page('owner', ssoPath()), `form[action="${ssoPath('/enforce')}"]`, { break_glass: 'keeper@acme-sso.test' });
    expect(enforced.status).toBe(200);
    expect(enforced.$('.sso-state').text()).toContain('Only the break-glass owner keeper@acme-sso.test can still sign in with a password');
    expect(await services().hrd.ssoEnforcement.requiredFor('ann@acme-sso.test')).toMatchObject({ connectionId });
  });

  it('refuses to disable the last enabled connection while SSO is enforced, then relaxes SSO and disables it', async () => {
    const connectionPage = await page('admin', ssoPath(`/${connectionId}`));
    const refused = await submit('admin', connectionPage, `form[action$="/disable"]`);
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('relax it before disabling');
    expect((await services().federation.connections.setupOf(connectionId))?.enabled).toBe(true);

    const relaxed = await submit('owner', await page('owner', ssoPath()), `form[action="${ssoPath('/relax')}"]`);
    expect(relaxed.$('.notice').text()).toContain('SSO is no longer enforced');
    const disabled = await submit('admin', await page('admin', ssoPath(`/${connectionId}`)), `form[action$="/disable"]`);
    expect(disabled.$('.sso-state').text()).toBe('Tested, not enabled');
    expect(await services().hrd.homeRealmDiscovery.discover('ann@acme-sso.test')).toEqual({ kind: 'password' });
  });

  it('records every change in the audit log, with who made it', async () => {
    const rows = await services()
      .db.selectFrom('audit_events')
      .select(['action', 'actor_id', 'target_id'])
      .where('organization_id', '=', orgs.a)
      .where('target_type', 'in', ['connection', 'organization'])
      .orderBy('created_at')
      .execute();
    const admin = await services().accounts.repository.findByEmail('admin@acme-sso.test');
    const owner = await services().accounts.repository.findByEmail('owner@acme-sso.test');
    expect(rows.map((row) => [row.action, row.actor_id])).toEqual([
      ['connection.created', admin!.id],
      ['connection.enabled', admin!.id],
      ['sso.enforced', owner!.id],
      ['sso.relaxed', owner!.id],
      ['connection.disabled', admin!.id],
    ]);
    expect(rows.filter((row) => row.action.startsWith('connection.')).every((row) => row.target_id === connectionId)).toBe(true);
  });

  it('shows the SSO page in French', async () => {
    const french = await agents.get('admin')!.request(url(ssoPath()), { headers: { 'accept-language': 'fr' } });
    expect(french.status).toBe(200);
    expect(french.$('#saml-heading').text()).toBe('Ajouter une connexion SAML');
  });
});
