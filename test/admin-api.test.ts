import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/admin/admin-principal.ts';
import { type AdminApiRoute, adminApiRoutes } from '../src/admin/api/admin-api.routes.ts';
import { type AdminRole, roleAtLeast } from '../src/admin/roles.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import { adminApiResource, adminApiScope } from '../src/oidc/admin-api-resource.ts';
import type { RunningServer } from '../src/server.ts';
import { TestSamlIdp } from './helpers/saml-idp.ts';
import { startTestServer } from './helpers/test-server.ts';

type Caller = { name: string; role: AdminRole; organization: 'a' | 'b' | null; token: string };

describe('admin API: the route table, its roles and organization scoping', () => {
  let server: RunningServer;
  const orgs = { a: '', b: '' };
  const callers: Caller[] = [];
  let sequence = 0;
  let idp: TestSamlIdp;
  let breakGlassEmail = '';

  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(new URL(`/admin/api/v1${path}`, server.url), {
      ...init,
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });

  async function tokenFor(clientId: string, clientSecret: string): Promise<string> {
    const response = await fetch(new URL('/token', server.url), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: adminApiScope, resource: adminApiResource(server.services.config.issuer) }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function addCaller(name: string, role: AdminRole, organization: 'a' | 'b' | null) {
    const created = await server.services.admin.adminApiClients.create(cliActor, { name, organizationId: organization ? orgs[organization] : null, role });
    callers.push({ name, role, organization, token: await tokenFor(created.clientId, created.clientSecret) });
  }

  /** A fresh member of organization A for each call, so that a removal or a disable leaves the next call its own target. */
  async function memberOfA(options: { admin?: boolean } = {}): Promise<string> {
    const email = `member${++sequence}@a.example.test`;
    const account = await server.services.accounts.service.createAccount({ email, emailVerified: true });
    await server.services.orgs.organizations.addMember(server.services.db, orgs.a, account.id);
    if (options.admin) await server.services.admin.organizationAdmins.grant(cliActor, orgs.a, { email, role: 'admin' });
    return account.id;
  }

  /** A fresh draft SAML connection of organization A (tested, for the routes that need it). */
  async function connectionOfA(options: { tested?: boolean } = {}): Promise<string> {
    const { connectionSetup } = server.services.federation;
    const created = await connectionSetup.createSaml({
      organizationId: orgs.a,
      name: `IdP ${++sequence}`,
      metadata: { xml: idp.metadataXml },
      signAuthnRequests: true,
      enforceSso: false,
    });
    if (options.tested) {
      const profile = {
        connectionId: created.id,
        subject: 'ann',
        email: 'ann@a.example.test',
        emailVerified: true,
        givenName: 'Ann',
        familyName: undefined,
        name: undefined,
      };
      await connectionSetup.recordTest(created.id, profile);
    }
    return created.id;
  }

  /** What enforcing SSO needs: an enabled connection, and an owner with a second factor to keep a password. */
  async function readyForEnforcement(): Promise<void> {
    if (breakGlassEmail) return;
    await server.services.federation.connectionSetup.enable(await connectionOfA({ tested: true }));
    breakGlassEmail = 'keeper@a.example.test';
    const keeper = await server.services.accounts.service.createAccount({ email: breakGlassEmail, emailVerified: true });
    await server.services.orgs.organizations.addMember(server.services.db, orgs.a, keeper.id);
    await server.services.admin.organizationAdmins.grant(cliActor, orgs.a, { email: breakGlassEmail, role: 'owner' });
    const enrolment = (await server.services.factors.service.beginTotp(keeper.id, breakGlassEmail))!;
    expect((await server.services.factors.service.confirmTotp(keeper.id, totpCodeAt(enrolment.secret, new Date()))).confirmed).toBe(true);
  }

  /** A fresh app of organization A for each call that needs one (a deletion leaves the next call its own). */
  async function appOfA(n: number): Promise<string> {
    const created = await server.services.admin.adminApps.create(cliActor, orgs.a, {
      name: `App ${n}`,
      redirectUris: [`https://app${n}.example.test/callback`],
    });
    return created.clientId;
  }

  async function requestFor(route: AdminApiRoute, organizationId: string): Promise<{ path: string; body?: string }> {
    const n = ++sequence;
    if (route.operationId === 'enforceSso') await readyForEnforcement();
    const path = route.path
      .replace('{organizationId}', organizationId)
      .replace('{accountId}', route.path.includes('{accountId}') ? await memberOfA({ admin: route.operationId === 'revokeRole' }) : '')
      .replace('{domain}', 'a.example.test')
      .replace('{connectionId}', route.path.includes('{connectionId}') ? await connectionOfA({ tested: route.operationId === 'enableConnection' }) : '')
      .replace('{clientId}', route.path.includes('{clientId}') ? await appOfA(n) : '');
    const bodies: Record<string, unknown> = {
      createOrganization: { name: `Org ${n}` },
      inviteUser: { email: `invitee${n}@a.example.test` },
      grantRole: { email: `member${n}@a.example.test`, role: 'admin' },
      claimDomain: { domain: `claim${n}.example.test` },
      createApiClient: { name: `client ${n}`, role: 'admin' },
      createConnection: { type: 'saml', name: `IdP ${n}`, metadataXml: idp.metadataXml, preset: 'okta' },
      enforceSso: { breakGlassEmail },
      createApp: { name: `App ${n}`, redirectUris: [`https://app${n}.example.test/callback`] },
      updateAppRedirectUris: { redirectUris: [`https://app${n}.example.test/other`] },
    };
    if (route.operationId === 'grantRole') {
      const account = await server.services.accounts.service.createAccount({ email: `member${n}@a.example.test`, emailVerified: true });
      await server.services.orgs.organizations.addMember(server.services.db, orgs.a, account.id);
    }
    const body = bodies[route.operationId];
    return { path, ...(body ? { body: JSON.stringify(body) } : {}) };
  }

  // Nothing changes: the walk verifies a domain that is verified already and disables a draft connection
  // (test/admin-center-browser.test.ts and test/admin-sso.test.ts audit both for real); a test sign-in's
  // link is only a link.
  const changesNothingInTheWalk = new Set(['verifyDomain', 'disableConnection', 'startConnectionTest']);
  const auditEventCount = async () =>
    Number(
      (
        await server.services.db
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll().as('count'))
          .executeTakeFirstOrThrow()
      ).count,
    );

  beforeAll(async () => {
    server = await startTestServer();
    idp = await TestSamlIdp.start();
    const { organizationService } = server.services.orgs;
    orgs.a = (await organizationService.create({ name: 'Org A', domains: ['a.example.test'], verifiedByOperator: true })).id;
    orgs.b = (await organizationService.create({ name: 'Org B', domains: ['b.example.test'], verifiedByOperator: true })).id;
    // Org A's admins may manage its apps (the apps routes of the walk below).
    await server.services.admin.adminApps.setAppsAllowed(cliActor, orgs.a, true);
    await addCaller('admin of A', 'admin', 'a');
    await addCaller('owner of A', 'owner', 'a');
    await addCaller('owner of B', 'owner', 'b');
    await addCaller('operator', 'operator', null);
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  it('declares a role for every route, and every route refuses a request without a token (401)', async () => {
    for (const route of adminApiRoutes) {
      expect(route.role, route.operationId).toMatch(/^(admin|owner|operator)$/);
      const { path, body } = await requestFor(route, orgs.a);
      const response = await api(path, { method: route.method.toUpperCase(), ...(body ? { body } : {}) });
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('walks every route with every role: allowed up to the role, 403 above it, 404 for another organization', async () => {
    for (const route of adminApiRoutes) {
      for (const caller of callers) {
        const { path, body } = await requestFor(route, orgs.a);
        const auditedBefore = await auditEventCount();
        const response = await api(path, { method: route.method.toUpperCase(), token: caller.token, ...(body ? { body } : {}) });
        const label = `${caller.name}: ${route.method} ${route.path} → ${response.status}`;
        const foreign = route.scope === 'organization' && caller.organization !== 'a' && caller.role !== 'operator';
        if (foreign) expect(response.status, label).toBe(404);
        else if (!roleAtLeast(caller.role, route.role)) expect(response.status, label).toBe(403);
        else expect(response.status, label).toBe(route.status);
        // Every change is in the audit log; a refusal and a read write nothing.
        const changed = route.method !== 'get' && response.status < 300 && !changesNothingInTheWalk.has(route.operationId);
        expect(await auditEventCount(), `${label}: audited`)[changed ? 'toBeGreaterThan' : 'toBe'](auditedBefore);
      }
    }
  });

  it('answers 404 for an unknown path and a malformed id, never 500', async () => {
    const [admin] = callers;
    expect((await api('/nothing-here', { token: admin!.token })).status).toBe(404);
    expect((await api('/organizations/not-a-uuid/users', { token: admin!.token })).status).toBe(404);
    expect((await api(`/organizations/${randomUUID()}/users`, { token: admin!.token })).status).toBe(404);
  });

  it('refuses a token for another audience, and a token of an app that is not an admin client', async () => {
    expect((await api('/me', { token: 'not-a-jwt' })).status).toBe(401);
    const app = await server.services.oidc.clients.create(server.services.db, {
      name: 'Some app',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      allowedResources: [adminApiResource(server.services.config.issuer)],
    });
    const token = await tokenFor(app.clientId, app.clientSecret!);
    expect((await api('/me', { token })).status).toBe(401);
  });

  it('lets a role grant roles up to its own only', async () => {
    const adminOfA = callers.find((caller) => caller.name === 'admin of A')!;
    const account = await server.services.accounts.service.createAccount({ email: 'escalate@a.example.test', emailVerified: true });
    await server.services.orgs.organizations.addMember(server.services.db, orgs.a, account.id);
    const response = await api(`/organizations/${orgs.a}/admins`, {
      method: 'POST',
      token: adminOfA.token,
      body: JSON.stringify({ email: 'escalate@a.example.test', role: 'owner' }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'admin.role_above_own' });
  });

  it('disabling a user blocks the account and records who did it, before and after, in the audit log', async () => {
    const ownerOfA = callers.find((caller) => caller.name === 'owner of A')!;
    const accountId = await memberOfA();
    const response = await api(`/organizations/${orgs.a}/users/${accountId}/disable`, { method: 'POST', token: ownerOfA.token });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ disabled: true });
    const events = await api(`/organizations/${orgs.a}/audit-events?target=${accountId}`, { token: ownerOfA.token });
    const { events: rows } = (await events.json()) as { events: Array<{ action: string; before: unknown; after: unknown; origin: { ip: string } }> };
    expect(rows[0]).toMatchObject({ action: 'user.disabled', before: { disabled: false }, after: { disabled: true } });
    expect(rows[0]!.origin.ip).toBeTruthy();
    expect((await server.services.accounts.repository.findById(accountId))?.disabled_at).toBeInstanceOf(Date);
  });

  it("answers 404 for another organization's connection named under one's own organization, and changes nothing", async () => {
    const ownerOfB = callers.find((caller) => caller.name === 'owner of B')!;
    const connectionId = await connectionOfA({ tested: true });
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/enable'],
      ['POST', '/disable'],
      ['POST', '/test-sign-in'],
    ] as const) {
      const response = await api(`/organizations/${orgs.b}/connections/${connectionId}${suffix}`, { method, token: ownerOfB.token });
      expect(response.status, `${method} ${suffix}`).toBe(404);
    }
    expect((await server.services.federation.connections.setupOf(connectionId))?.enabled).toBe(false);
  });

  it('sets a SAML connection up through the API: draft, enable refused before a test, audited', async () => {
    const adminOfA = callers.find((caller) => caller.name === 'admin of A')!;
    const created = await api(`/organizations/${orgs.a}/connections`, {
      method: 'POST',
      token: adminOfA.token,
      body: JSON.stringify({ type: 'saml', name: 'Via API', metadataUrl: idp.metadataUrl }),
    });
    expect(created.status).toBe(201);
    const connection = (await created.json()) as { id: string; enabled: boolean; serviceProvider: { acsUrl: string }; certificates: unknown[] };
    expect(connection).toMatchObject({ enabled: false, serviceProvider: { acsUrl: expect.stringMatching(/\/saml\/acs$/) } });
    expect(connection.certificates).toHaveLength(1);
    const early = await api(`/organizations/${orgs.a}/connections/${connection.id}/enable`, { method: 'POST', token: adminOfA.token });
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: 'federation.connection_not_tested' });
    const link = (await (
      await api(`/organizations/${orgs.a}/connections/${connection.id}/test-sign-in`, { method: 'POST', token: adminOfA.token })
    ).json()) as {
      url: string;
    };
    expect(link.url).toContain(`/federation/test/${connection.id}?ticket=`);
    const both = await api(`/organizations/${orgs.a}/connections`, {
      method: 'POST',
      token: adminOfA.token,
      body: JSON.stringify({ type: 'saml', name: 'Neither' }),
    });
    expect(both.status).toBe(400);
    const events = await api(`/organizations/${orgs.a}/audit-events?target=${connection.id}`, { token: adminOfA.token });
    expect(((await events.json()) as { events: Array<{ action: string }> }).events.map((event) => event.action)).toEqual(['connection.created']);
  });

  it('exports the audit log as CSV and NDJSON', async () => {
    const ownerOfA = callers.find((caller) => caller.name === 'owner of A')!;
    const csv = await api(`/organizations/${orgs.a}/audit-events/export?format=csv`, { token: ownerOfA.token });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await csv.text()).split('\n')[0]).toMatch(/action/);
    const ndjson = await api(`/organizations/${orgs.a}/audit-events/export?format=ndjson`, { token: ownerOfA.token });
    const lines = (await ndjson.text()).trim().split('\n');
    expect(JSON.parse(lines[0]!)).toHaveProperty('action');
  });

  it('publishes an OpenAPI 3.1 document that lints clean', async () => {
    const response = await fetch(new URL('/admin/api/v1/openapi.json', server.url));
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toHaveLength(new Set(adminApiRoutes.map((route) => route.path)).size);
    const { lintDocument, createConfig, BaseResolver, makeDocumentFromString } = await import('@redocly/openapi-core');
    const problems = await lintDocument({
      document: makeDocumentFromString(JSON.stringify(document), 'openapi.json'),
      config: await createConfig({ extends: ['recommended'] }),
      externalRefResolver: new BaseResolver(),
    });
    expect(problems.filter((problem) => problem.severity === 'error')).toEqual([]);
  });
});
