import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountPrincipal, cliActor } from '../src/admin/admin-principal.ts';
import type { RunningServer } from '../src/server.ts';
import { cliRunner, testSecretsEnv } from './helpers/processes.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const errorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error';
const password = 'provisioned by the directory 2026';

// biome-ignore lint/suspicious/noExplicitAny: SCIM bodies are read freely in the assertions.
type Json = Record<string, any>;

/** The request shapes of the Entra ID SCIM validator and Okta, against RFC 7643 and 7644. */
describe('SCIM 2.0 provisioning of an organization', () => {
  let server: RunningServer & { databaseUrl: string };
  let env: Record<string, string>;
  const { cli, cliJson } = cliRunner(() => env);
  const orgs = { contoso: '', fabrikam: '' };
  let baseUrl = '';
  let token = '';
  let otherToken = '';

  async function scim(path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) {
    const bearer = init.token === undefined ? token : init.token;
    const response = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      },
      ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as Json,
    };
  }

  const entraUser = (userName: string, extra: Json = {}) => ({
    schemas: [userSchema, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: userName.split('@')[0],
    userName,
    active: true,
    displayName: 'Provisioned Person',
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: 'Provisioned Person', familyName: 'Person', givenName: 'Provisioned' },
    title: 'Engineer',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
    ...extra,
  });

  const expectScimError = (response: { status: number; type: string | null; body: Json }, status: number, scimType?: string) => {
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(response.type).toMatch(/^application\/scim\+json/);
    expect(response.body).toMatchObject({ schemas: [errorSchema], status: String(status), ...(scimType ? { scimType } : {}) });
    expect(typeof response.body.detail).toBe('string');
  };

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET },
    });
    env = { NODE_ENV: 'test', DATABASE_URL: server.databaseUrl, ISSUER: server.services.config.issuer, ...testSecretsEnv };
    const { organizationService } = server.services.orgs;
    orgs.contoso = (await organizationService.create({ name: 'Contoso', domains: ['contoso.example.test'], verifiedByOperator: true })).id;
    orgs.fabrikam = (await organizationService.create({ name: 'Fabrikam', domains: ['fabrikam.example.test'], verifiedByOperator: true })).id;
    otherToken = (await server.services.scim.tokens.issue(cliActor, orgs.fabrikam, { expiresInDays: 30 })).token;
  });
  afterAll(() => server?.close());

  it('orgs scim-token prints the base URL and a token stored only as its SHA-256, with an expiry', async () => {
    const issued = await cliJson<{ id: string; base_url: string; token: string; expires_at: string }>(
      'orgs',
      'scim-token',
      '--org',
      'Contoso',
      '--expires-days',
      '90',
    );
    expect(issued.base_url).toBe(`${server.services.config.issuer}/scim/v2`);
    expect(issued.token).toMatch(/^scim_[\w-]{43}$/);
    const days = (Date.parse(issued.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThanOrEqual(90);
    const rows = await server.services.db.selectFrom('scim_tokens').selectAll().where('id', '=', issued.id).execute();
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(issued.token);
    expect((await cli('orgs', 'scim-token', '--org', 'Contoso', '--expires-days', '0')).code).toBe(2);
    baseUrl = issued.base_url;
    token = issued.token;
  });

  it('refuses a missing, wrong, expired or revoked token with 401 in the SCIM error schema', async () => {
    const missing = await scim('/Users', { token: null });
    expectScimError(missing, 401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectScimError(await scim('/Users', { token: 'scim_not-a-token' }), 401);

    const expiring = await server.services.scim.tokens.issue(cliActor, orgs.contoso, { expiresInDays: 1 });
    expect((await scim('/Users', { token: expiring.token })).status).toBe(200);
    await server.services.db
      .updateTable('scim_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', expiring.id)
      .execute();
    expectScimError(await scim('/Users', { token: expiring.token }), 401);

    const revoked = await server.services.scim.tokens.issue(cliActor, orgs.contoso, { expiresInDays: 1 });
    expect((await cli('orgs', 'revoke-scim-token', '--org', 'Contoso', '--token-id', revoked.id)).code).toBe(0);
    expectScimError(await scim('/Users', { token: revoked.token }), 401);
  });

  it('publishes ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const config = await scim('/ServiceProviderConfig', { token: null });
    expect(config.type).toMatch(/^application\/scim\+json/);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } });
    const types = await scim('/ResourceTypes');
    expect(types.body.Resources.map((type: Json) => type.endpoint)).toEqual(['/Users', '/Groups']);
    const schemas = await scim('/Schemas');
    expect(schemas.body.Resources.map((schema: Json) => schema.id)).toEqual([userSchema, groupSchema]);
    expect((await scim(`/Schemas/${userSchema}`)).body.attributes.map((a: Json) => a.name)).toContain('userName');
    expectScimError(await scim('/Schemas/urn:nothing'), 404);
  });

  let userId = '';

  it('creates a user (Entra ID), finds it by userName, externalId and work email, and refuses a duplicate with 409 uniqueness', async () => {
    const notThere = await scim(`/Users?filter=${encodeURIComponent('userName eq "ada@contoso.example.test"')}`);
    expect(notThere.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] });

    // The person already had an account of that address: it joins the organization.
    await server.services.accounts.service.createAccount({ email: 'ada@contoso.example.test', password, emailVerified: true });
    const created = await scim('/Users', { method: 'POST', body: entraUser('Ada@Contoso.example.test') });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.type).toMatch(/^application\/scim\+json/);
    expect(created.body).toMatchObject({
      schemas: [userSchema],
      userName: 'ada@contoso.example.test',
      externalId: 'Ada',
      active: true,
      displayName: 'Provisioned Person',
      name: { givenName: 'Provisioned', familyName: 'Person' },
      emails: [{ value: 'ada@contoso.example.test', type: 'work', primary: true }],
      meta: { resourceType: 'User' },
    });
    userId = created.body.id;
    expect(created.headers.get('location')).toBe(`${baseUrl}/Users/${userId}`);
    expect(created.body.meta.location).toBe(`${baseUrl}/Users/${userId}`);

    for (const filter of [
      'userName eq "ADA@contoso.example.test"',
      'externalId eq "Ada"',
      'emails[type eq "work"].value eq "ada@contoso.example.test"',
      'displayName eq "Provisioned Person" and active eq true',
      'userName eq "nobody@contoso.example.test" or externalId eq "Ada"',
    ]) {
      const found = await scim(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(found.body.totalResults, filter).toBe(1);
      expect(found.body.Resources[0].id, filter).toBe(userId);
    }
    // externalId is case-exact (RFC 7643 section 3.1).
    expect((await scim(`/Users?filter=${encodeURIComponent('externalId eq "ada"')}`)).body.totalResults).toBe(0);

    expectScimError(await scim('/Users', { method: 'POST', body: entraUser('ada@contoso.example.test') }), 409, 'uniqueness');
    expectScimError(await scim('/Users', { method: 'POST', body: entraUser('grace@contoso.example.test', { externalId: 'Ada' }) }), 409, 'uniqueness');
    expect((await scim(`/Users/${userId}`)).body.userName).toBe('ada@contoso.example.test');
    const provisioned = await server.services.admin.auditLog.list(server.services.db, orgs.contoso, { action: 'user.provisioned', limit: 5 });
    expect(provisioned[0]).toMatchObject({ actor: { type: 'scim' }, target: { id: userId }, after: { email: 'ada@contoso.example.test' } });
  });

  it('refuses a userName outside the verified domains, bad bodies and bad filters with a 400 and its scimType', async () => {
    expectScimError(await scim('/Users', { method: 'POST', body: entraUser('ada@elsewhere.example.test') }), 400, 'invalidValue');
    expectScimError(await scim('/Users', { method: 'POST', body: { schemas: [userSchema] } }), 400, 'invalidValue');
    expectScimError(await scim('/Users', { method: 'POST', body: '{"userName": ' }), 400, 'invalidSyntax');
    expectScimError(await scim(`/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
    expectScimError(await scim(`/Users?filter=${encodeURIComponent('password eq "x"')}`), 400, 'invalidFilter');
    expectScimError(await scim(`/Users?filter=${encodeURIComponent('active eq "maybe"')}`), 400, 'invalidFilter');
    expectScimError(
      await scim(`/Users/${userId}`, { method: 'PATCH', body: { schemas: [patchOp], Operations: [{ op: 'Jump', path: 'active' }] } }),
      400,
      'invalidSyntax',
    );
    expectScimError(await scim('/Users/00000000-0000-4000-8000-000000000000'), 404);
    expectScimError(await scim('/Users/not-an-id'), 404);
    expectScimError(await scim('/Nothing'), 404);
  });

  it('pages with startIndex and count, and totalResults counts every match', async () => {
    for (const name of ['b1', 'b2', 'b3', 'b4']) {
      expect((await scim('/Users', { method: 'POST', body: entraUser(`${name}@contoso.example.test`) })).status).toBe(201);
    }
    const filter = encodeURIComponent('userName sw "b"');
    const first = await scim(`/Users?filter=${filter}&startIndex=1&count=3`);
    expect(first.body).toMatchObject({ totalResults: 4, startIndex: 1, itemsPerPage: 3 });
    const second = await scim(`/Users?filter=${filter}&startIndex=4&count=3`);
    expect(second.body).toMatchObject({ totalResults: 4, startIndex: 4, itemsPerPage: 1 });
    const names = [...first.body.Resources, ...second.body.Resources].map((user: Json) => user.userName);
    expect(new Set(names).size).toBe(4);
    expect((await scim(`/Users?filter=${filter}&count=0`)).body).toMatchObject({ totalResults: 4, itemsPerPage: 0, Resources: [] });
    expect((await scim(`/Users?filter=${filter}&startIndex=-5&count=1`)).body.startIndex).toBe(1);
    const projected = await scim(`/Users?filter=${filter}&attributes=userName`);
    expect(Object.keys(projected.body.Resources[0]).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
  });

  it('PATCH with a path-less value map (Entra ID) and PUT (Okta) change the attributes kept', async () => {
    const patched = await scim(`/Users/${userId}`, {
      method: 'PATCH',
      body: {
        schemas: [patchOp],
        Operations: [
          { op: 'Replace', value: { displayName: 'Ada Lovelace', 'name.givenName': 'Ada', 'name.familyName': 'Lovelace' } },
          { op: 'Add', path: 'externalId', value: 'ada-1815' },
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada@contoso.example.test' },
          { op: 'Add', path: 'title', value: 'Analyst' },
        ],
      },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({
      displayName: 'Ada Lovelace',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      externalId: 'ada-1815',
      active: true,
    });
    const account = await server.services.accounts.repository.findById(userId);
    expect(account).toMatchObject({ name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' });

    const b1 = (await scim(`/Users?filter=${encodeURIComponent('userName eq "b1@contoso.example.test"')}`)).body.Resources[0];
    const replaced = await scim(`/Users/${b1.id}`, {
      method: 'PUT',
      body: { schemas: [userSchema], userName: 'b1.renamed@contoso.example.test', name: { givenName: 'Bea', familyName: 'One' }, active: true },
    });
    expect(replaced.body).toMatchObject({ userName: 'b1.renamed@contoso.example.test', displayName: 'Bea One' });
    expect(replaced.body.externalId).toBeUndefined();
    expectScimError(await scim(`/Users/${b1.id}`, { method: 'PUT', body: { schemas: [userSchema], userName: 'ada@contoso.example.test' } }), 409, 'uniqueness');
  });

  it('PATCH Replace active "False" disables the account: sign-in refused, refresh token revoked; "True" enables it again', async () => {
    const app = await registerRelyingParty(server);
    const request = await authorizationRequest(app.config, { scope: 'openid email offline_access' });
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, 'ada@contoso.example.test', password);
    const tokens = await exchangeCode(app.config, callback.url, request);
    expect(tokens.refresh_token).toBeTruthy();

    const deactivated = await scim(`/Users/${userId}`, {
      method: 'PATCH',
      body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(deactivated.status, JSON.stringify(deactivated.body)).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await scim(`/Users?filter=${encodeURIComponent('active eq false')}`)).body.Resources.map((user: Json) => user.id)).toEqual([userId]);

    await expect(client.refreshTokenGrant(app.config, tokens.refresh_token!)).rejects.toThrow();
    const refused = await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, 'ada@contoso.example.test', password);
    expect(refused.status).toBe(403);
    expect(refused.url).not.toContain(redirectUri);
    const disabled = await server.services.admin.auditLog.list(server.services.db, orgs.contoso, { action: 'user.disabled', targetId: userId, limit: 1 });
    expect(disabled[0]).toMatchObject({ actor: { type: 'scim' }, before: { disabled: false }, after: { disabled: true } });

    const enabled = await scim(`/Users/${userId}`, {
      method: 'PATCH',
      body: { schemas: [patchOp], Operations: [{ op: 'replace', value: { active: 'True' } }] },
    });
    expect(enabled.body.active).toBe(true);
    const allowed = await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, 'ada@contoso.example.test', password);
    expect(allowed.url).toContain(redirectUri);
  });

  it('groups: create, PATCH members add and remove (Entra ID and Okta shapes), filter by members, a role group grants its role and takes it back', async () => {
    const b2 = (await scim(`/Users?filter=${encodeURIComponent('userName eq "b2@contoso.example.test"')}`)).body.Resources[0].id;
    const created = await scim('/Groups', {
      method: 'POST',
      body: { schemas: [groupSchema], displayName: 'Sign-in Admins', externalId: 'grp-1', members: [] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const groupId = created.body.id;
    expectScimError(await scim('/Groups', { method: 'POST', body: { schemas: [groupSchema], displayName: 'sign-in admins' } }), 409, 'uniqueness');

    const added = await scim(`/Groups/${groupId}`, {
      method: 'PATCH',
      body: { schemas: [patchOp], Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }, { value: b2, display: 'b2' }] }] },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.members.map((member: Json) => member.value).sort()).toEqual([userId, b2].sort());
    const admins = () => server.services.admin.organizationAdmins.list(cliActor, orgs.contoso);
    expect((await admins()).map((admin) => [admin.accountId, admin.role]).sort()).toEqual(
      [
        [userId, 'admin'],
        [b2, 'admin'],
      ].sort(),
    );
    expect((await scim(`/Users/${userId}`)).body.groups).toEqual([{ value: groupId, display: 'Sign-in Admins', $ref: `${baseUrl}/Groups/${groupId}` }]);

    // Entra ID checks a membership so, without reading the members.
    const check = await scim(`/Groups?filter=${encodeURIComponent(`id eq "${groupId}" and members[value eq "${b2}"]`)}&excludedAttributes=members`);
    expect(check.body.totalResults).toBe(1);
    expect(check.body.Resources[0].members).toBeUndefined();
    expect((await scim(`/Groups?filter=${encodeURIComponent('displayName eq "Sign-in Admins"')}`)).body.totalResults).toBe(1);

    const removedEntra = await scim(`/Groups/${groupId}`, {
      method: 'PATCH',
      body: { schemas: [patchOp], Operations: [{ op: 'Remove', path: 'members', value: [{ value: b2 }] }] },
    });
    expect(removedEntra.body.members.map((member: Json) => member.value)).toEqual([userId]);
    const removedOkta = await scim(`/Groups/${groupId}`, {
      method: 'PATCH',
      body: { schemas: [patchOp], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] },
    });
    expect(removedOkta.body.members ?? []).toEqual([]);
    expect(await admins()).toEqual([]);
    const revoked = await server.services.admin.auditLog.list(server.services.db, orgs.contoso, { action: 'organization_admin.revoked', limit: 5 });
    expect(revoked.map((event) => event.actor.type)).toEqual(['scim', 'scim']);

    // A group with another name is a plain group: no role.
    const plain = await scim('/Groups', { method: 'POST', body: { schemas: [groupSchema], displayName: 'Engineering', members: [{ value: userId }] } });
    expect(plain.status).toBe(201);
    expect(await admins()).toEqual([]);
    const renamed = await scim(`/Groups/${plain.body.id}`, {
      method: 'PATCH',
      body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'displayName', value: 'Sign-in Owners' }] },
    });
    expect(renamed.body.displayName).toBe('Sign-in Owners');
    expect((await admins()).map((admin) => admin.role)).toEqual(['owner']);
    expectScimError(
      await scim(`/Groups/${plain.body.id}`, {
        method: 'PATCH',
        body: { schemas: [patchOp], Operations: [{ op: 'Add', path: 'members', value: [{ value: '00000000-0000-4000-8000-000000000000' }] }] },
      }),
      400,
      'invalidValue',
    );

    expect((await scim(`/Groups/${groupId}`, { method: 'DELETE' })).status).toBe(204);
    expectScimError(await scim(`/Groups/${groupId}`), 404);
  });

  it('a token never sees another organization: its users and groups answer 404 and filters find nothing', async () => {
    const foreign = await scim('/Users', { method: 'POST', token: otherToken, body: entraUser('zoe@fabrikam.example.test') });
    expect(foreign.status).toBe(201);
    const foreignGroup = await scim('/Groups', { method: 'POST', token: otherToken, body: { schemas: [groupSchema], displayName: 'Sign-in Admins' } });
    expect(foreignGroup.status).toBe(201);
    // Contoso's token may not provision Fabrikam's domain either.
    expectScimError(await scim('/Users', { method: 'POST', body: entraUser('eve@fabrikam.example.test') }), 400, 'invalidValue');

    expectScimError(await scim(`/Users/${foreign.body.id}`), 404);
    expectScimError(
      await scim(`/Users/${foreign.body.id}`, { method: 'PATCH', body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'active', value: false }] } }),
      404,
    );
    expectScimError(await scim(`/Users/${foreign.body.id}`, { method: 'PUT', body: entraUser('zoe@contoso.example.test') }), 404);
    expectScimError(await scim(`/Users/${foreign.body.id}`, { method: 'DELETE' }), 404);
    expectScimError(await scim(`/Groups/${foreignGroup.body.id}`), 404);
    expectScimError(await scim(`/Groups/${foreignGroup.body.id}`, { method: 'DELETE' }), 404);
    expect((await scim(`/Users?filter=${encodeURIComponent('userName eq "zoe@fabrikam.example.test"')}`)).body.totalResults).toBe(0);
    expect((await scim(`/Users?filter=${encodeURIComponent(`id eq "${foreign.body.id}"`)}`)).body.totalResults).toBe(0);
    expect((await scim('/Groups')).body.Resources.map((group: Json) => group.id)).not.toContain(foreignGroup.body.id);
    // Contoso's members cannot be put into Fabrikam's groups.
    expectScimError(
      await scim(`/Groups/${foreignGroup.body.id}`, {
        method: 'PATCH',
        token: otherToken,
        body: { schemas: [patchOp], Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }] },
      }),
      400,
      'invalidValue',
    );
    expect((await server.services.accounts.repository.findById(foreign.body.id))?.disabled_at).toBeNull();
  });

  it('only an owner issues a token; the token never acts on a platform operator', async () => {
    const admin = await server.services.accounts.service.createAccount({ email: 'lead@contoso.example.test', emailVerified: true });
    await server.services.orgs.organizations.addMember(server.services.db, orgs.contoso, admin.id);
    await server.services.admin.organizationAdmins.grant(cliActor, orgs.contoso, { email: 'lead@contoso.example.test', role: 'admin' });
    const adminActor = { principal: await accountPrincipal(server.services.admin.principalSources, admin.id), origin: {} };
    await expect(server.services.scim.tokens.issue(adminActor, orgs.contoso, { expiresInDays: 1 })).rejects.toMatchObject({ status: 403 });

    const operator = (await scim('/Users', { method: 'POST', body: entraUser('root@contoso.example.test') })).body.id;
    await server.services.admin.platformOperators.add(cliActor, 'root@contoso.example.test');
    const refused = await scim(`/Users/${operator}`, {
      method: 'PATCH',
      body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'active', value: false }] },
    });
    expectScimError(refused, 403);
    expect((await server.services.accounts.repository.findById(operator))?.disabled_at).toBeNull();
  });

  it('DELETE removes the membership and disables an account that belongs to no other organization', async () => {
    const b3 = (await scim(`/Users?filter=${encodeURIComponent('userName eq "b3@contoso.example.test"')}`)).body.Resources[0].id;
    expect((await scim(`/Users/${b3}`, { method: 'DELETE' })).status).toBe(204);
    expectScimError(await scim(`/Users/${b3}`), 404);
    expect((await server.services.accounts.repository.findById(b3))?.disabled_at).toBeInstanceOf(Date);
    // Provisioned again, the same account is active again.
    const again = await scim('/Users', { method: 'POST', body: entraUser('b3@contoso.example.test') });
    expect(again.body).toMatchObject({ id: b3, active: true });
    expect((await scim(`/Users/${b3}`, { method: 'DELETE' })).status).toBe(204);

    // A member of another organization too keeps an enabled account.
    const b4 = (await scim(`/Users?filter=${encodeURIComponent('userName eq "b4@contoso.example.test"')}`)).body.Resources[0].id;
    await server.services.orgs.organizations.addMember(server.services.db, orgs.fabrikam, b4);
    expect((await scim(`/Users/${b4}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.services.accounts.repository.findById(b4))?.disabled_at).toBeNull();
    const removed = await server.services.admin.auditLog.list(server.services.db, orgs.contoso, { action: 'user.removed', limit: 5 });
    expect(removed.map((event) => [event.target.id, event.actor.type])).toEqual([
      [b4, 'scim'],
      [b3, 'scim'],
      [b3, 'scim'],
    ]);
  });
});
