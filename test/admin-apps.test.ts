import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/admin/admin-principal.ts';
import { type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'a long passphrase 42';

describe('admin center apps', () => {
  let env: ServerWithMail;
  let orgA = '';
  const admin = new UserAgent();
  const url = (path: string) => new URL(path, env.server.url).toString();
  const services = () => env.server.services;

  async function signInToAdminCenter(agent: UserAgent, email: string): Promise<PageResponse> {
    const first = await agent.follow(url('/admin'));
    const passwordPage = await enterEmail(agent, first, email);
    return agent.submit(passwordPage, 'form[action*="/password"]', { password });
  }

  const clientCredentials = (clientId: string, secret: string) =>
    fetch(url('/token'), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });

  beforeAll(async () => {
    env = await startServerWithMail();
    orgA = (await services().orgs.organizationService.create({ name: 'Org A', domains: ['a.example.test'], verifiedByOperator: true })).id;
    const account = await services().accounts.service.createAccount({ email: 'admin@a.example.test', password, emailVerified: true });
    await services().orgs.organizations.addMember(services().db, orgA, account.id);
    await services().admin.organizationAdmins.grant(cliActor, orgA, { email: 'admin@a.example.test', role: 'admin' });
    await signInToAdminCenter(admin, 'admin@a.example.test');
  });
  afterAll(() => env?.close());

  it('says so while apps are not allowed, then registers an app whose secret (shown once) works; rotates with grace; deletes; audited', async () => {
    const refused = await admin.follow(url(`/admin/orgs/${orgA}/apps`));
    expect(refused.status).toBe(200);
    expect(refused.$('.admin-apps-not-allowed').text()).toContain('operators');
    expect(refused.$(`form[action="/admin/orgs/${orgA}/apps"]`)).toHaveLength(0);
    await services().admin.adminApps.setAppsAllowed(cliActor, orgA, true);

    const page = await admin.follow(url(`/admin/orgs/${orgA}/apps`));
    const created = await admin.submit(page, `form[action="/admin/orgs/${orgA}/apps"]`, { name: 'Backend', kind: 'service' });
    expect(created.status).toBe(200);
    expect(created.$('.notice').text()).toContain('The app is registered.');
    const clientId = created.$('code.client-id').text();
    const secret = created.$('input.client-secret').attr('value')!;
    expect(created.$('input.client-secret').attr('autocomplete')).toBe('off');
    expect((await clientCredentials(clientId, secret)).status).toBe(200);
    const appPage = await admin.follow(url(`/admin/orgs/${orgA}/apps/${clientId}`));
    expect(appPage.body).not.toContain(secret);

    const rotated = await admin.submit(appPage, 'form[action$="/rotate-secret"]', { grace_days: '7' });
    const newSecret = rotated.$('input.client-secret').attr('value')!;
    expect(newSecret).not.toBe(secret);
    expect((await clientCredentials(clientId, secret)).status).toBe(200);
    expect((await clientCredentials(clientId, newSecret)).status).toBe(200);

    const again = await admin.follow(url(`/admin/orgs/${orgA}/apps/${clientId}`));
    const deleted = await admin.submit(again, 'form[action$="/delete"]', {});
    expect(deleted.$('.notice').text()).toContain('The app is deleted.');
    expect((await clientCredentials(clientId, newSecret)).status).toBe(401);

    const events = await services().db.selectFrom('audit_events').selectAll().where('target_id', '=', clientId).execute();
    expect(events.map((event) => event.action).sort()).toEqual(['client.deleted', 'client.registered', 'client.secret_rotated']);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(newSecret);
  });

  it('edits a web app’s redirect URIs on its page, refusing plain http except on the loopback; audited before and after', async () => {
    await services().admin.adminApps.setAppsAllowed(cliActor, orgA, true);
    const page = await admin.follow(url(`/admin/orgs/${orgA}/apps`));
    const insecure = await admin.submit(page, `form[action="/admin/orgs/${orgA}/apps"]`, {
      name: 'Web',
      kind: 'web',
      redirect_uris: 'http://app.a.example.test/cb',
    });
    expect(insecure.status).toBe(400);
    expect(insecure.body).toContain('must use https');
    const created = await admin.submit(page, `form[action="/admin/orgs/${orgA}/apps"]`, {
      name: 'Web',
      kind: 'web',
      redirect_uris: 'https://app.a.example.test/cb\nhttp://localhost:8080/cb',
    });
    const clientId = created.$('code.client-id').text();

    const appPage = await admin.follow(url(`/admin/orgs/${orgA}/apps/${clientId}`));
    const refused = await admin.submit(appPage, 'form[action$="/redirect-uris"]', {
      redirect_uris: 'http://evil.example.test/cb',
      post_logout_redirect_uris: '',
    });
    expect(refused.status).toBe(400);
    const saved = await admin.submit(appPage, 'form[action$="/redirect-uris"]', {
      redirect_uris: 'https://app.a.example.test/callback',
      post_logout_redirect_uris: 'https://app.a.example.test/',
    });
    expect(saved.$('.notice').text()).not.toBe('');
    expect(saved.$('#app-redirect-uris').text()).toBe('https://app.a.example.test/callback');
    expect((await services().admin.adminApps.get(cliActor, orgA, clientId)).redirectUris).toEqual(['https://app.a.example.test/callback']);

    const event = await services()
      .db.selectFrom('audit_events')
      .selectAll()
      .where('target_id', '=', clientId)
      .where('action', '=', 'client.redirect_uris_updated')
      .executeTakeFirstOrThrow();
    expect(event.organization_id).toBe(orgA);
    expect(event.before).toMatchObject({ redirectUris: ['https://app.a.example.test/cb', 'http://localhost:8080/cb'] });
    expect(event.after).toEqual({ redirectUris: ['https://app.a.example.test/callback'], postLogoutRedirectUris: ['https://app.a.example.test/'] });
    const allowed = await services()
      .db.selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'organization.apps_allowed')
      .where('target_id', '=', orgA)
      .execute();
    expect(allowed.length).toBeGreaterThan(0);
    expect(allowed[0]!.after).toEqual({ appsAllowed: true });
  });

  it('an operator runs the platform’s own apps on /admin/apps (an organization’s stay on its tab); an organization admin is refused there', async () => {
    const operator = new UserAgent();
    await services().accounts.service.createAccount({ email: 'platform-ops@ops.example.test', password, emailVerified: true });
    await services().admin.platformOperators.add(cliActor, 'platform-ops@ops.example.test');
    const home = await signInToAdminCenter(operator, 'platform-ops@ops.example.test');
    expect(home.$('a[href="/admin/apps"]')).toHaveLength(1);
    const orgApp = await services().admin.adminApps.create(cliActor, orgA, { name: 'Org A tool', redirectUris: ['https://a.example.test/cb'] });

    const list = await operator.follow(url('/admin/apps'));
    expect(list.status).toBe(200);
    expect(list.$('a[aria-current="page"]').attr('href')).toBe('/admin/apps');
    expect(list.body).not.toContain(orgApp.clientId);
    // The platform registers what an organization may not: plain http to a named host (an internal product).
    const created = await operator.submit(list, 'form[action="/admin/apps"]', {
      name: 'Billing',
      kind: 'web',
      redirect_uris: 'http://billing.internal.test/cb',
    });
    const clientId = created.$('code.client-id').text();
    expect(created.$('input.client-secret').attr('value')).toBeTruthy();
    expect((await services().admin.adminApps.get(cliActor, null, clientId)).organizationId).toBeNull();
    const appPage = await operator.follow(url(`/admin/apps/${clientId}`));
    expect(appPage.$('form[action$="/rotate-secret"]').attr('action')).toBe(`/admin/apps/${clientId}/rotate-secret`);
    const deleted = await operator.submit(appPage, 'form[action$="/delete"]', {});
    expect(new URL(deleted.url).pathname).toBe('/admin/apps');
    expect(deleted.body).not.toContain(clientId);

    // An organization's app is changed on the organization's page (and audited in its log), not here.
    const orgAppPage = await operator.follow(url(`/admin/orgs/${orgA}/apps/${orgApp.clientId}`));
    const csrf = orgAppPage.$('input[name=_csrf]').attr('value')!;
    expect((await operator.request(url(`/admin/apps/${orgApp.clientId}/delete`), { form: { _csrf: csrf } })).status).toBe(404);
    expect((await services().admin.adminApps.get(cliActor, orgA, orgApp.clientId)).name).toBe('Org A tool');

    expect((await admin.request(url('/admin/apps'))).status).toBe(403);
  });

  it('renders the apps page in French', async () => {
    const page = await admin.follow(url(`/admin/orgs/${orgA}/apps?lang=fr`));
    expect(page.$('h1').text()).toBe('Applications');
  });

  it('an owner issues a SCIM token on the provisioning page that works at /scim/v2; an operator issues an initial access token that registers at /reg; another org’s app is 404', async () => {
    const owner = new UserAgent();
    await services().accounts.service.createAccount({ email: 'owner@a.example.test', password, emailVerified: true });
    await services().orgs.organizations.addMember(services().db, orgA, (await services().accounts.repository.findByEmail('owner@a.example.test'))!.id);
    await services().admin.organizationAdmins.grant(cliActor, orgA, { email: 'owner@a.example.test', role: 'owner' });
    await signInToAdminCenter(owner, 'owner@a.example.test');
    const provisioning = await owner.follow(url(`/admin/orgs/${orgA}/provisioning`));
    const issued = await owner.submit(provisioning, `form[action="/admin/orgs/${orgA}/provisioning"]`, { expires_days: '30' });
    const token = issued.$('input.scim-token').attr('value')!;
    const baseUrl = issued.$('input.scim-base-url').attr('value')!;
    expect(baseUrl).toBe(`${services().config.issuer}/scim/v2`);
    expect((await fetch(`${baseUrl}/Users`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const operator = new UserAgent();
    await services().accounts.service.createAccount({ email: 'operator@ops.example.test', password, emailVerified: true });
    await services().admin.platformOperators.add(cliActor, 'operator@ops.example.test');
    const home = await signInToAdminCenter(operator, 'operator@ops.example.test');
    const iat = await operator.submit(home, 'form[action="/admin/initial-access-token"]', {});
    const initialAccessToken = iat.$('input.initial-access-token').attr('value')!;
    const registered = await fetch(url('/reg'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${initialAccessToken}` },
      body: JSON.stringify({ client_name: 'Self-registered', redirect_uris: ['https://app.example.test/cb'] }),
    });
    expect(registered.status).toBe(201);

    const orgB = (await services().orgs.organizationService.create({ name: 'Org B', domains: ['b.example.test'], verifiedByOperator: true })).id;
    const foreign = await services().admin.adminApps.create(cliActor, orgB, { name: 'B app', redirectUris: ['https://b.example.test/cb'] });
    expect((await admin.request(url(`/admin/orgs/${orgA}/apps/${foreign.clientId}`))).status).toBe(404);
  });
});
