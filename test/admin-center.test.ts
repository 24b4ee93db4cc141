import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/admin/admin-principal.ts';
import { allAdminCenterPages } from '../src/app.ts';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { TestSamlIdp } from './helpers/saml-idp.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'a long passphrase 42';

type Person = 'operator' | 'owner' | 'admin' | 'otherAdmin' | 'nobody';

describe('admin center pages', () => {
  let env: ServerWithMail;
  const orgs = { a: '', b: '' };
  const agents = new Map<Person, UserAgent>();
  let sequence = 0;
  let idp: TestSamlIdp;

  const url = (path: string) => new URL(path, env.server.url).toString();
  const services = () => env.server.services;

  async function newAccount(email: string, organizationId?: string) {
    const account = await services().accounts.service.createAccount({ email, password, emailVerified: true });
    if (organizationId) await services().orgs.organizations.addMember(services().db, organizationId, account.id);
    return account;
  }

  /** Opens /admin signed out: the admin center sends the browser through the ordinary sign-in pages and back. */
  async function signInToAdminCenter(agent: UserAgent, email: string, path = '/admin'): Promise<PageResponse> {
    const first = await agent.follow(url(path));
    expect(first.status, first.body.slice(0, 500)).toBe(200);
    const passwordPage = await enterEmail(agent, first, email);
    return agent.submit(passwordPage, 'form[action*="/password"]', { password });
  }

  /** A page's first form matching `selector`, submitted as the signed-in person. */
  async function post(person: Person, page: PageResponse, selector: string, fields: Record<string, string> = {}) {
    return agents.get(person)!.submit(page, selector, fields);
  }

  beforeAll(async () => {
    env = await startServerWithMail();
    idp = await TestSamlIdp.start();
    const { organizationService } = services().orgs;
    orgs.a = (await organizationService.create({ name: 'Org A', domains: ['a.example.test'], verifiedByOperator: true })).id;
    orgs.b = (await organizationService.create({ name: 'Org B', domains: ['b.example.test'], verifiedByOperator: true })).id;
    await newAccount('operator@ops.example.test');
    await services().admin.platformOperators.add(cliActor, 'operator@ops.example.test');
    await newAccount('owner@a.example.test', orgs.a);
    await newAccount('admin@a.example.test', orgs.a);
    await newAccount('admin@b.example.test', orgs.b);
    await newAccount('nobody@a.example.test', orgs.a);
    await services().admin.organizationAdmins.grant(cliActor, orgs.a, { email: 'owner@a.example.test', role: 'owner' });
    await services().admin.organizationAdmins.grant(cliActor, orgs.a, { email: 'admin@a.example.test', role: 'admin' });
    await services().admin.organizationAdmins.grant(cliActor, orgs.b, { email: 'admin@b.example.test', role: 'admin' });
    // Org A's admins may manage its apps (the Apps pages of the matrix below).
    await services().admin.adminApps.setAppsAllowed(cliActor, orgs.a, true);
    const emails: Record<Person, string> = {
      operator: 'operator@ops.example.test',
      owner: 'owner@a.example.test',
      admin: 'admin@a.example.test',
      otherAdmin: 'admin@b.example.test',
      nobody: 'nobody@a.example.test',
    };
    for (const [person, email] of Object.entries(emails) as [Person, string][]) {
      const agent = new UserAgent();
      await signInToAdminCenter(agent, email);
      agents.set(person, agent);
    }
  });
  afterAll(async () => {
    await env?.close();
    await idp?.close();
  });

  it('signs in through the ordinary pages (code + PKCE), keeps the tokens server side and lands on the organization', async () => {
    const agent = new UserAgent();
    const page = await signInToAdminCenter(agent, 'admin@a.example.test', '/admin');
    expect(page.status, page.body.slice(0, 800)).toBe(200);
    expect(page.url).toBe(url(`/admin/orgs/${orgs.a}/users`));
    expect(page.$('h1').text()).toBe('Users');
    const session = (await agent.jar.getCookies(url('/admin'))).find((cookie) => cookie.key === 'admin_session')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('lax');
    // Nothing but a random id in the browser: no token in any cookie.
    expect(session.value).not.toMatch(/^ey/);
    const rows = await services().db.selectFrom('admin_center_sessions').selectAll().execute();
    expect(rows.every((row) => row.id_hash !== session.value && !row.access_token_encrypted.startsWith('eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9'))).toBe(true);
  });

  it('shows a person without an admin role a clear page, not an error', async () => {
    const page = await agents.get('nobody')!.follow(url('/admin'));
    expect(page.status).toBe(403);
    expect(page.$('h1').text()).toBe('You are not an administrator');
    expect(page.body).not.toContain('admin.forbidden');
  });

  it('walks every page route with every role: allowed up to the role, 403 above it, 404 for another organization, the clear page for a non-admin', async () => {
    const roleOf: Record<Exclude<Person, 'nobody'>, 'operator' | 'owner' | 'admin'> = {
      operator: 'operator',
      owner: 'owner',
      admin: 'admin',
      otherAdmin: 'admin',
    };
    const rank = { admin: 0, owner: 1, operator: 2 };
    for (const page of allAdminCenterPages(services())) {
      for (const person of ['operator', 'owner', 'admin', 'otherAdmin', 'nobody'] as Person[]) {
        const agent = agents.get(person)!;
        const target = await newAccount(`target${++sequence}@a.example.test`, orgs.a);
        if (page.path.endsWith('/revoke')) await services().admin.organizationAdmins.grant(cliActor, orgs.a, { email: target.email, role: 'admin' });
        const path = `/admin${page.path === '/' ? '' : page.path}`
          .replace(':organizationId', orgs.a)
          .replace(':accountId', target.id)
          .replace(':domain', 'a.example.test')
          .replace(':clientId', 'no-such-app')
          .replace(':connectionId', 'no-such-connection');
        let response: PageResponse;
        if (page.method === 'get') {
          response = await agent.request(url(path));
        } else {
          // The CSRF token of one of the person's own admin center pages.
          const csrf = (await agent.follow(url('/admin'))).$('input[name=_csrf]').attr('value') ?? '';
          // A token of organization A to revoke (the provisioning page's revoke form names it).
          const scimToken: Record<string, string> = page.path.endsWith('/provisioning/revoke')
            ? { token_id: (await services().scim.tokens.issue(cliActor, orgs.a, { expiresInDays: 1 })).id }
            : {};
          response = await agent.request(url(path), { form: { _csrf: csrf, ...formFor(page.path, sequence, target.email, idp.metadataXml), ...scimToken } });
        }
        const label = `${person}: ${page.method} ${page.path} → ${response.status} ${response.$('main p').first().text()}`;
        if (person === 'nobody') {
          expect(response.status, label).toBe(403);
          expect(response.$('h1').text(), label).toBe('You are not an administrator');
        } else if (page.scope === 'organization' && person === 'otherAdmin') {
          expect(response.status, label).toBe(404);
        } else if (rank[roleOf[person]] < rank[page.role]) {
          expect(response.status, label).toBe(403);
        } else if (page.path.includes(':clientId') || page.path.includes(':connectionId')) {
          expect(response.status, label).toBe(404);
        } else if (page.path in refusedPastAuthorization) {
          expect(response.status, label).toBe(refusedPastAuthorization[page.path]);
        } else {
          expect([200, 303], label).toContain(response.status);
        }
      }
    }
  });

  it('shows "Admin center" on My account for admins only', async () => {
    const forAdmin = await agents.get('admin')!.follow(url('/account'));
    expect(forAdmin.$('h1').text()).toBe('My account');
    expect(forAdmin.$('a.admin-center-link').attr('href')).toBe('/admin');
    const forNobody = await agents.get('nobody')!.follow(url('/account'));
    expect(forNobody.$('h1').text()).toBe('My account');
    expect(forNobody.$('a.admin-center-link')).toHaveLength(0);
  });

  it('refuses a form without its CSRF token', async () => {
    const agent = agents.get('owner')!;
    const target = await newAccount(`csrf${++sequence}@a.example.test`, orgs.a);
    const refused = await agent.request(url(`/admin/orgs/${orgs.a}/users/${target.id}/disable`), { form: { _csrf: 'forged' } });
    expect(refused.status).toBe(403);
    expect((await services().accounts.repository.findById(target.id))?.disabled_at).toBeNull();
  });

  it('invites a person: the invitation reaches the test SMTP server and the person is a member', async () => {
    const users = await agents.get('admin')!.follow(url(`/admin/orgs/${orgs.a}/users`));
    const done = await post('admin', users, `form[method="post"][action="/admin/orgs/${orgs.a}/users"]`, {
      email: 'grace@a.example.test',
      name: 'Grace Hopper',
    });
    expect(done.status).toBe(200);
    expect(done.$('.notice').text()).toContain('The invitation has been sent.');
    const mail = await env.sink.waitFor('grace@a.example.test');
    expect(linkTo(mail, '/invitation')).toBeTruthy();
    expect(done.body).toContain('grace@a.example.test');
  });

  it('disables a person: their sign-in is refused; enabling lets them in again', async () => {
    await newAccount('ada@a.example.test', orgs.a);
    const account = (await services().accounts.repository.findByEmail('ada@a.example.test'))!;
    const users = await agents.get('admin')!.follow(url(`/admin/orgs/${orgs.a}/users?q=ada`));
    expect(users.$('tbody tr')).toHaveLength(1);
    const done = await post('admin', users, `form[action$="/users/${account.id}/disable"]`);
    expect(done.$('.notice').text()).toContain('disabled');
    const refused = await signInToAdminCenter(new UserAgent(), 'ada@a.example.test');
    expect(refused.body).toContain('Your account is disabled');
    const again = await agents.get('admin')!.follow(url(`/admin/orgs/${orgs.a}/users?q=ada`));
    await post('admin', again, `form[action$="/users/${account.id}/enable"]`);
    const allowed = await signInToAdminCenter(new UserAgent(), 'ada@a.example.test');
    expect(allowed.$('h1').text()).toBe('You are not an administrator');
  });

  it('resets a person’s second factors (authenticator app, recovery codes, passkeys) and ends their device trust', async () => {
    const account = await newAccount('lost-phone@a.example.test', orgs.a);
    const { db } = services();
    // Enrolled as the factor pages would leave it: a confirmed app, recovery codes and a passkey.
    await db.insertInto('totp_authenticators').values({ account_id: account.id, secret_encrypted: 'sealed', confirmed_at: new Date() }).execute();
    await services().factors.service.newRecoveryCodes(account.id);
    await db
      .insertInto('passkeys')
      .values({
        credential_id: `key-${account.id}`,
        account_id: account.id,
        public_key: Buffer.from('key'),
        device_type: 'singleDevice',
        backed_up: false,
        name: 'Key',
      })
      .execute();
    expect(await services().factors.service.summary(account.id)).toMatchObject({ hasSecondFactor: true, recoveryCodesLeft: 10 });
    const users = await agents.get('admin')!.follow(url(`/admin/orgs/${orgs.a}/users?q=lost-phone`));
    const done = await post('admin', users, `form[action$="/users/${account.id}/reset-factors"]`);
    expect(done.$('.notice').text()).toContain('second factors have been removed');
    const summary = await services().factors.service.summary(account.id);
    expect(summary).toMatchObject({ hasSecondFactor: false, recoveryCodesLeft: 0, passkeys: [] });
    const settings = await db.selectFrom('account_factor_settings').selectAll().where('account_id', '=', account.id).executeTakeFirst();
    expect(settings?.trust_revoked_at).toBeInstanceOf(Date);
  });

  it('shows the audit rows of the changes on the audit page, filtered, and exports them as CSV and NDJSON', async () => {
    const agent = agents.get('owner')!;
    const page = await agent.follow(url(`/admin/orgs/${orgs.a}/audit?action=user.invited`));
    expect(page.status).toBe(200);
    const actions = page
      .$('.audit-action')
      .map((_, cell) => page.$(cell).text())
      .get();
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['user.invited']));
    const all = await agent.follow(url(`/admin/orgs/${orgs.a}/audit`));
    const allActions = all
      .$('.audit-action')
      .map((_, cell) => all.$(cell).text())
      .get();
    expect(allActions).toEqual(expect.arrayContaining(['user.disabled', 'user.enabled', 'user.factors_reset', 'user.invited']));
    const csv = await agent.request(new URL(all.$('a.export-csv').attr('href')!, all.url).toString());
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.body.split('\n')[0]).toMatch(/^created_at,action,/);
    expect(csv.body).toContain('user.factors_reset');
    const ndjson = await agent.request(new URL(all.$('a.export-ndjson').attr('href')!, all.url).toString());
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = ndjson.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string });
    expect(lines.map((line) => line.action)).toContain('user.disabled');
    // Another organization's admin cannot export this log.
    expect((await agents.get('otherAdmin')!.request(url(`/admin/orgs/${orgs.a}/audit/export?format=csv`))).status).toBe(404);
  });

  it('lets an admin grant roles up to their own only', async () => {
    await newAccount('katherine@a.example.test', orgs.a);
    const admins = await agents.get('admin')!.follow(url(`/admin/orgs/${orgs.a}/admins`));
    expect(
      admins
        .$('#grant-role option')
        .map((_, option) => admins.$(option).attr('value'))
        .get(),
    ).toEqual(['admin']);
    const refused = await post('admin', admins, `form[action="/admin/orgs/${orgs.a}/admins"]`, { email: 'katherine@a.example.test', role: 'owner' });
    expect(refused.status).toBe(403);
    const granted = await post('admin', admins, `form[action="/admin/orgs/${orgs.a}/admins"]`, { email: 'katherine@a.example.test', role: 'admin' });
    expect(granted.$('.notice').text()).toContain('The role has been given.');
  });

  it('signs out: the admin session ends and the sign-in session too (RP-initiated logout)', async () => {
    const agent = new UserAgent();
    const page = await signInToAdminCenter(agent, 'owner@a.example.test');
    const sessions = async () => (await services().db.selectFrom('admin_center_sessions').select('id_hash').execute()).length;
    const before = await sessions();
    const confirmation = await agent.submit(page, 'form[action="/admin/sign-out"]', {});
    expect(await sessions()).toBe(before - 1);
    await agent.submit(confirmation, 'form#op\\.logoutForm', { logout: 'yes' });
    // Signed out of the sign-in session too: /admin leads to the sign-in pages again.
    const again = await agent.follow(url('/admin'));
    expect(again.$('form[action*="/identifier"], form[action*="/password"]').length).toBe(1);
  });
});

/** A valid form for each page action (the walk only checks who may post it). */
/** Forms whose success needs more than the walk sets up: authorized, then refused by the service. */
const refusedPastAuthorization: Record<string, number> = {
  // No tested connection is enabled yet.
  '/orgs/:organizationId/sso/enforce': 409,
  // Its issuer does not answer.
  '/orgs/:organizationId/sso/oidc': 502,
};

function formFor(path: string, n: number, targetEmail: string, samlMetadata: string): Record<string, string> {
  if (path === '/organizations') return { name: `Org ${n}` };
  if (path.endsWith('/sso/saml')) return { name: `IdP ${n}`, metadata_xml: samlMetadata };
  if (path.endsWith('/sso/oidc')) return { name: `IdP ${n}`, issuer: 'http://127.0.0.1:9/idp', client_id: 'c', client_secret: 's' };
  if (path.endsWith('/sso/enforce')) return { break_glass: targetEmail };
  if (path.endsWith('/users')) return { email: `walk${n}@a.example.test` };
  if (path.endsWith('/admins')) return { email: targetEmail, role: 'admin' };
  if (path.endsWith('/domains')) return { domain: `walk${n}.example.test` };
  if (path.endsWith('/apps')) return { name: `App ${n}`, redirect_uris: `https://app${n}.example.test/callback` };
  if (path.endsWith('/redirect-uris')) return { redirect_uris: 'https://app.example.test/callback' };
  return {};
}
