import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/admin/admin-principal.ts';
import { adminApiResource, adminApiScope } from '../src/oidc/admin-api-resource.ts';
import type { RunningServer } from '../src/server.ts';
import { serverWithCli } from './helpers/cli-server.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { UserAgent } from './helpers/user-agent.ts';

const password = 'separation of concerns 1974';

describe('admin roles from the command line, and a disabled account', () => {
  const { server: running, cli, cliJson } = serverWithCli();
  let server: RunningServer;

  beforeAll(async () => {
    server = running();
    await server.services.orgs.organizationService.create({ name: 'Initech', domains: ['initech.example.test'], verifiedByOperator: true });
    for (const email of ['peter@initech.example.test', 'bill@initech.example.test']) {
      await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
    }
  });

  it('operators add, orgs add-admin, api-clients create and orgs allow-apps give rights the admin API sees', async () => {
    expect(await cliJson('operators', 'add', '--email', 'bill@initech.example.test')).toMatchObject({ added: true });
    expect(await cliJson('orgs', 'add-admin', '--org', 'Initech', '--email', 'peter@initech.example.test', '--role', 'owner')).toMatchObject({
      role: 'owner',
    });
    const created = await cliJson<{ client_id: string; client_secret: string; resource: string; scope: string }>(
      'api-clients',
      'create',
      '--org',
      'Initech',
      '--name',
      'Provisioning',
    );
    expect(created).toMatchObject({ resource: adminApiResource(server.services.config.issuer), scope: adminApiScope });
    const token = await fetch(new URL('/token', server.url), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${created.client_id}:${created.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: adminApiScope, resource: created.resource }),
    }).then((response) => response.json() as Promise<{ access_token: string }>);
    const me = await fetch(new URL('/admin/api/v1/me', server.url), { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(await me.json()).toMatchObject({ kind: 'client', operator: false, organizations: [{ role: 'admin' }] });

    // An organization's admins manage its apps once an operator allows it, until stopped.
    const organizationId = (await server.services.orgs.organizationService.find('Initech')).id;
    const apps = () =>
      fetch(new URL(`/admin/api/v1/organizations/${organizationId}/apps`, server.url), { headers: { authorization: `Bearer ${token.access_token}` } });
    expect((await apps()).status).toBe(403);
    expect(await cliJson('orgs', 'allow-apps', '--org', 'Initech')).toEqual({ organization_id: organizationId, apps_allowed: true });
    expect((await apps()).status).toBe(200);
    expect(await cliJson('orgs', 'allow-apps', '--org', 'Initech', '--off')).toEqual({ organization_id: organizationId, apps_allowed: false });
    expect((await apps()).status).toBe(403);
  });

  it('refuses a role that does not exist, and --org with --platform, as usage errors', async () => {
    const wrong = await cli('orgs', 'add-admin', '--org', 'Initech', '--email', 'peter@initech.example.test', '--role', 'emperor');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^--role: /);
    const both = await cli('api-clients', 'create', '--org', 'Initech', '--platform', '--name', 'X');
    expect(both.code).toBe(2);
  });

  it('a disabled account cannot sign in; sign-ins and changes are audited', async () => {
    const app = await registerRelyingParty(server);
    const organization = (await server.services.orgs.organizationService.find('Initech')).id;
    const account = await server.services.accounts.repository.findByEmail('bill@initech.example.test');
    await server.services.orgs.organizations.addMember(server.services.db, organization, account!.id);
    await server.services.admin.organizationUsers.disable(cliActor, organization, account!.id);

    const refused = await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, 'bill@initech.example.test', password);
    expect(refused.status).toBe(403);
    expect(refused.url).not.toContain(redirectUri);
    expect(refused.body).toContain('Your account is disabled');
    await server.services.admin.organizationUsers.enable(cliActor, organization, account!.id);
    const allowed = await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, 'bill@initech.example.test', password);
    expect(allowed.url).toContain(redirectUri);
    await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, 'bill@initech.example.test', 'not the password');

    // Every admin change and sign-in of a member is in the organization's audit log.
    const events = await server.services.admin.auditLog.list(server.services.db, organization, { targetId: account!.id, limit: 10 });
    expect(events.map((event) => event.action)).toEqual(['sign_in.failed', 'sign_in.succeeded', 'user.enabled', 'user.disabled']);
    expect(events[1]).toMatchObject({ after: { method: 'password', amr: ['pwd'] }, origin: { ip: expect.any(String) } });
  });

  it('a disabled account gets no token even from a refresh token issued before, whether or not its grants were revoked', async () => {
    const email = 'milton@initech.example.test';
    const account = await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
    const firstParty = await registerRelyingParty(server, { firstParty: true });
    const app = await registerRelyingParty(server, { firstParty: false });
    const agent = new UserAgent();
    await signInThroughBrowserless(agent, (await authorizationRequest(firstParty.config)).url, email, password);
    const request = await authorizationRequest(app.config, { scope: 'openid email offline_access', prompt: 'consent' });
    const consent = await agent.follow(request.url, {}, redirectUri);
    const tokens = await exchangeCode(app.config, (await agent.submit(consent, 'form[action*="/consent"]', {}, redirectUri)).url, request);
    expect(tokens.refresh_token).toBeTruthy();

    // Disabled behind the services' back (say, by SQL): the grants are still there, findAccount alone refuses.
    const setDisabled = (at: Date | null) => server.services.db.updateTable('accounts').set({ disabled_at: at }).where('id', '=', account.id).execute();
    await setDisabled(new Date());
    await expect(client.refreshTokenGrant(app.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await setDisabled(null);
  });

  it('purges audit events older than the retention period, and only those', async () => {
    const { db, admin } = server.services;
    const organization = (await server.services.orgs.organizationService.find('Initech')).id;
    const entry = { organizationId: organization, actor: { type: 'system' as const }, origin: {}, target: { type: 'organization', id: organization } };
    await admin.auditLog.record(db, { ...entry, action: 'test.old' });
    await admin.auditLog.record(db, { ...entry, action: 'test.recent' });
    await db
      .updateTable('audit_events')
      .set({ created_at: new Date(Date.now() - 31 * 86_400_000) })
      .where('action', '=', 'test.old')
      .execute();
    expect(await admin.auditLog.purgeOlderThan(db, 30)).toBe(1);
    const left = await admin.auditLog.list(db, organization, { limit: 100 });
    expect(left.map((event) => event.action)).toContain('test.recent');
    expect(left.map((event) => event.action)).not.toContain('test.old');
  });
});
