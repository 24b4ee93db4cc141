import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import type { ClientRepository } from '../src/oidc/client.repository.ts';
import {
  ClientHasNoSecretError,
  ClientNotFoundError,
  deleteClient,
  listClients,
  platformScope,
  RegistrationInvalidError,
  registerClient,
  rotateClientSecret,
  updateClientRedirectUris,
} from '../src/oidc/client-registration.ts';
import type { RunningServer } from '../src/server.ts';
import { serverWithCli } from './helpers/cli-server.ts';
import { authorizationRequest, client, discover } from './helpers/relying-party.ts';

const day = 86_400;

describe('managing an app: secret rotation with a grace period, redirect URIs, deletion, organization scope', () => {
  const { server: startedServer, cli, cliJson } = serverWithCli();
  let server: RunningServer;
  let clients: ClientRepository;

  beforeAll(() => {
    server = startedServer();
    clients = server.services.oidc.clients;
  });

  const inTransaction = <T>(work: (trx: typeof server.services.db) => Promise<T>) => server.services.db.transaction().execute(work);

  /** The token endpoint's answer to client_credentials with this secret (client_secret_basic). */
  const tokenStatus = async (clientId: string, clientSecret: string) =>
    (
      await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      })
    ).status;

  async function machineClient(): Promise<{ clientId: string; clientSecret: string }> {
    const created = await registerClient(server.services.db, clients, { name: 'Worker', grantTypes: ['client_credentials'] });
    return { clientId: created.clientId, clientSecret: created.clientSecret! };
  }

  /** What the test does instead of waiting out the grace period: the expiry written in the past. */
  const endGracePeriod = (clientId: string) =>
    sql`update client_previous_secrets set expires_at = now() - interval '1 second' where client_id = ${clientId}`.execute(server.services.db);

  it('accepts the previous secret during the grace period and not after; the new one at once', async () => {
    const { clientId, clientSecret: oldSecret } = await machineClient();
    expect(await tokenStatus(clientId, oldSecret)).toBe(200);

    const now = new Date();
    const rotated = await inTransaction((trx) => rotateClientSecret(trx, clients, platformScope, clientId, { graceSeconds: 7 * day, now }));
    expect(rotated.clientSecret).not.toBe(oldSecret);
    expect(rotated.previousSecretExpiresAt).toEqual(new Date(now.getTime() + 7 * day * 1000));
    expect(await tokenStatus(clientId, rotated.clientSecret)).toBe(200);
    expect(await tokenStatus(clientId, oldSecret)).toBe(200);
    expect(await tokenStatus(clientId, 'never-the-secret')).toBe(401);

    await endGracePeriod(clientId);
    expect(await tokenStatus(clientId, oldSecret)).toBe(401);
    expect(await tokenStatus(clientId, rotated.clientSecret)).toBe(200);

    // Stored sealed, like the current secret.
    const previous = await server.services.db.selectFrom('client_previous_secrets').selectAll().where('client_id', '=', clientId).executeTakeFirstOrThrow();
    expect(previous.secret_encrypted).not.toContain(oldSecret);
  });

  it('without a grace period refuses the replaced secret at once; only the latest replaced secret has one', async () => {
    const { clientId, clientSecret: first } = await machineClient();
    const second = await inTransaction((trx) => rotateClientSecret(trx, clients, platformScope, clientId, { graceSeconds: 0 }));
    expect(second.previousSecretExpiresAt).toBeNull();
    expect(await tokenStatus(clientId, first)).toBe(401);
    expect(await tokenStatus(clientId, second.clientSecret)).toBe(200);

    const third = await inTransaction((trx) => rotateClientSecret(trx, clients, platformScope, clientId, { graceSeconds: day }));
    const fourth = await inTransaction((trx) => rotateClientSecret(trx, clients, platformScope, clientId, { graceSeconds: day }));
    expect(await tokenStatus(clientId, second.clientSecret)).toBe(401);
    expect(await tokenStatus(clientId, third.clientSecret)).toBe(200);
    expect(await tokenStatus(clientId, fourth.clientSecret)).toBe(200);
  });

  it('refuses to rotate the secret of an unknown or public app', async () => {
    await expect(inTransaction((trx) => rotateClientSecret(trx, clients, platformScope, 'no-such-app', { graceSeconds: day }))).rejects.toBeInstanceOf(
      ClientNotFoundError,
    );
    const publicApp = await registerClient(server.services.db, clients, { name: 'SPA', redirectUris: ['https://spa.example.test/cb'], isPublic: true });
    const refused = await inTransaction((trx) => rotateClientSecret(trx, clients, platformScope, publicApp.clientId, { graceSeconds: day })).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ClientHasNoSecretError);
    expect(refused).toMatchObject({ code: 'oidc.client_has_no_secret', status: 409 });
  });

  it('clients rotate-secret prints the new secret once; a running server takes it at once, the old one during the grace', async () => {
    const { clientId, clientSecret: oldSecret } = await machineClient();
    // The running server has the old secret in its client cache.
    expect(await tokenStatus(clientId, oldSecret)).toBe(200);

    const rotated = await cliJson<{ client_id: string; client_secret: string; previous_secret_expires_at: string }>(
      'clients',
      'rotate-secret',
      '--client',
      clientId,
      '--grace-days',
      '2',
    );
    expect(Object.keys(rotated).sort()).toEqual(['client_id', 'client_secret', 'previous_secret_expires_at']);
    expect(rotated.client_id).toBe(clientId);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeGreaterThan(2 * day * 1000 - 60_000);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeLessThanOrEqual(2 * day * 1000);
    expect(await tokenStatus(clientId, rotated.client_secret)).toBe(200);
    expect(await tokenStatus(clientId, oldSecret)).toBe(200);
    // openid-client, as the app's servers use it, with the new secret.
    expect((await client.clientCredentialsGrant(await discover(server.url, clientId, rotated.client_secret))).access_token).toEqual(expect.any(String));

    // CLIENT_SECRET_GRACE_DAYS (7 by default) without --grace-days.
    const byDefault = await cliJson<{ previous_secret_expires_at: string }>('clients', 'rotate-secret', '--client', clientId);
    expect(Date.parse(byDefault.previous_secret_expires_at) - Date.now()).toBeGreaterThan(7 * day * 1000 - 60_000);
  });

  it('clients rotate-secret refuses an unknown client or a bad --grace-days in one line', async () => {
    for (const args of [
      ['--client', 'no-such-app'],
      ['--grace-days', '3'],
      ['--client', 'x', '--grace-days', '-1'],
    ]) {
      const result = await cli('clients', 'rotate-secret', ...args, '--json');
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/No client no-such-app|--client|--grace-days/);
    }
  });

  it('edits the redirect URIs: the new one is accepted at once, the old one refused', async () => {
    const oldUri = 'https://old.example.test/cb';
    const newUri = 'https://new.example.test/cb';
    const app = await registerClient(server.services.db, clients, { name: 'Moving app', redirectUris: [oldUri] });
    const config = await discover(server.url, app.clientId, app.clientSecret);
    const authorize = async (uri: string) => (await fetch((await authorizationRequest(config, { redirect_uri: uri })).url, { redirect: 'manual' })).status;
    expect(await authorize(oldUri)).toBe(303);

    await inTransaction((trx) =>
      updateClientRedirectUris(trx, clients, platformScope, app.clientId, { redirectUris: [newUri], postLogoutRedirectUris: ['https://new.example.test/bye'] }),
    );
    expect(await authorize(newUri)).toBe(303);
    expect(await authorize(oldUri)).toBe(400);
    const row = await server.services.db.selectFrom('clients').select('metadata').where('id', '=', app.clientId).executeTakeFirstOrThrow();
    expect(row.metadata).toMatchObject({ redirect_uris: [newUri], post_logout_redirect_uris: ['https://new.example.test/bye'], client_name: 'Moving app' });

    // The registration's rules: an app signing people in keeps a redirect URI; URIs are absolute.
    for (const redirectUris of [[], ['not a url']]) {
      await expect(inTransaction((trx) => updateClientRedirectUris(trx, clients, platformScope, app.clientId, { redirectUris }))).rejects.toBeInstanceOf(
        RegistrationInvalidError,
      );
    }
    await expect(
      inTransaction((trx) => updateClientRedirectUris(trx, clients, platformScope, 'no-such-app', { redirectUris: [newUri] })),
    ).rejects.toBeInstanceOf(ClientNotFoundError);
  });

  it("an organization's scope registers, sees and changes its own apps only; another organization's answer not found", async () => {
    const { organizationService } = server.services.orgs;
    const acme = {
      kind: 'organization',
      organizationId: (await organizationService.create({ name: 'Acme apps', domains: [], verifiedByOperator: false })).id,
    } as const;
    const globex = {
      kind: 'organization',
      organizationId: (await organizationService.create({ name: 'Globex apps', domains: [], verifiedByOperator: false })).id,
    } as const;
    const acmeApp = await registerClient(server.services.db, clients, { name: 'Acme portal', redirectUris: ['https://portal.acme.test/cb'] }, acme);
    expect((await listClients(clients, acme)).map((app) => app.clientId)).toEqual([acmeApp.clientId]);
    expect(await listClients(clients, globex)).toEqual([]);
    expect((await listClients(clients, platformScope)).map((app) => app.clientId)).toContain(acmeApp.clientId);

    const asGlobex: ((trx: Db) => Promise<unknown>)[] = [
      (trx: Db) => rotateClientSecret(trx, clients, globex, acmeApp.clientId, { graceSeconds: day }),
      (trx: Db) => updateClientRedirectUris(trx, clients, globex, acmeApp.clientId, { redirectUris: ['https://evil.example.test/cb'] }),
      (trx: Db) => deleteClient(trx, clients, globex, acmeApp.clientId),
    ];
    for (const attempt of asGlobex) await expect(inTransaction(attempt)).rejects.toBeInstanceOf(ClientNotFoundError);
    const row = await server.services.db.selectFrom('clients').selectAll().where('id', '=', acmeApp.clientId).executeTakeFirstOrThrow();
    expect(row.metadata).toMatchObject({ redirect_uris: ['https://portal.acme.test/cb'] });
    expect(row.organization_id).toBe(acme.organizationId);

    // Its own organization (and an operator) manage it.
    const rotated = await inTransaction((trx) => rotateClientSecret(trx, clients, acme, acmeApp.clientId, { graceSeconds: 0 }));
    expect(rotated.clientSecret).not.toBe(acmeApp.clientSecret);
    await inTransaction((trx) => updateClientRedirectUris(trx, clients, acme, acmeApp.clientId, { redirectUris: ['https://new.acme.test/cb'] }));
    // A platform app is no organization's.
    const platformApp = await machineClient();
    await expect(inTransaction((trx) => deleteClient(trx, clients, acme, platformApp.clientId))).rejects.toBeInstanceOf(ClientNotFoundError);
    await inTransaction((trx) => deleteClient(trx, clients, acme, acmeApp.clientId));
    expect(await listClients(clients, acme)).toEqual([]);
  });

  it("refuses an organization what only an operator decides: first-party, the platform's APIs, no PKCE", async () => {
    const organizationId = (await server.services.orgs.organizationService.create({ name: 'Initech apps', domains: [], verifiedByOperator: false })).id;
    const scope = { kind: 'organization', organizationId } as const;
    const app = { name: 'Initech tool', redirectUris: ['https://tool.initech.test/cb'] };
    for (const [extra, field] of [
      [{ firstParty: true }, 'firstParty'],
      [{ allowedResources: [`${server.services.config.issuer}/admin/api`] }, 'allowedResources'],
      [{ pkceOptional: true }, 'pkceOptional'],
    ] as const) {
      const refused = await registerClient(server.services.db, clients, { ...app, ...extra }, scope).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RegistrationInvalidError);
      expect((refused as RegistrationInvalidError).issues).toEqual([{ path: [field], message: 'only a platform operator sets this' }]);
    }
    expect(await listClients(clients, scope)).toEqual([]);
  });

  it('deletes an app: refused at once; an unknown one is not found', async () => {
    const { clientId, clientSecret } = await machineClient();
    await inTransaction((trx) => rotateClientSecret(trx, clients, platformScope, clientId, { graceSeconds: day }));
    await inTransaction((trx) => deleteClient(trx, clients, platformScope, clientId));
    expect(await tokenStatus(clientId, clientSecret)).toBe(401);
    expect(await server.services.db.selectFrom('client_previous_secrets').select('client_id').where('client_id', '=', clientId).execute()).toEqual([]);
    await expect(inTransaction((trx) => deleteClient(trx, clients, platformScope, clientId))).rejects.toBeInstanceOf(ClientNotFoundError);
  });
});
