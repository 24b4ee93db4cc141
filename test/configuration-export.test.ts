import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { cliRunner, type Finished, testSecretsEnv } from './helpers/processes.ts';
import { client, discover } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

/** `export` from one deployment, `import` into another (a staging copy, disaster recovery). */
describe('npm run cli -- export / import', () => {
  let source: RunningServer & { databaseUrl: string };
  let target: RunningServer & { databaseUrl: string };
  const dir = mkdtempSync(path.join(tmpdir(), 'signin-export-'));
  const secrets = { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET };
  const envOf = (server: RunningServer & { databaseUrl: string }) => ({
    NODE_ENV: 'test',
    DATABASE_URL: server.databaseUrl,
    ISSUER: server.services.config.issuer,
    ...testSecretsEnv,
  });
  const atSource = cliRunner(() => envOf(source));
  const atTarget = cliRunner(() => envOf(target));
  const tablesOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { tables: Record<string, unknown[]> }).tables;

  beforeAll(async () => {
    [source, target] = await Promise.all([startTestServer({ overrides: secrets }), startTestServer({ overrides: secrets })]);
  });
  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  function expectBadInput(result: Finished, message: RegExp): void {
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
  }

  it('carries clients, APIs, organizations, domains and connections, secrets sealed; importing twice changes nothing more', async () => {
    const { db, oidc, orgs, federation } = source.services;
    const worker = await oidc.clients.create(db, { name: 'Exported worker', redirectUris: [], grantTypes: ['client_credentials'] });
    await oidc.resourceServers.register({ identifier: 'https://exported.example.test/', name: 'Exported API', scopes: ['read'], signingAlg: 'ES256' });
    const organization = await orgs.organizationService.create({ name: 'Exported Org', domains: ['exported.example'], verifiedByOperator: true });
    await federation.connections.insert(db, {
      id: 'exported-oidc',
      organizationId: organization.id,
      type: 'oidc',
      name: 'Exported IdP',
      settings: { issuer: 'https://idp.exported.example' },
      secrets: { clientSecret: 'upstream secret' },
    });

    const file = path.join(dir, 'export.json');
    const exported = await atSource.cliJson<{ exported: Record<string, number> }>('export', '--file', file);
    const connections = Number((await sql<{ count: string }>`select count(*) from federation_connections`.execute(db)).rows[0]!.count);
    expect(exported.exported).toEqual({ clients: 1, resource_servers: 1, organizations: 1, organization_domains: 1, federation_connections: connections });
    expect(readFileSync(file, 'utf8')).not.toContain('upstream secret');
    expect(readFileSync(file, 'utf8')).not.toContain(worker.clientSecret!);

    const first = await atTarget.cliJson<{ imported: Record<string, number> }>('import', '--file', file);
    expect(first.imported).toEqual(exported.exported);
    await atTarget.cliJson('import', '--file', file);
    const again = path.join(dir, 'again.json');
    await atTarget.cliJson('export', '--file', again);
    expect(tablesOf(again)).toEqual(tablesOf(file));

    // The app authenticates at the copy with the secret it was given at the source.
    const tokens = await client.clientCredentialsGrant(await discover(target.url, worker.clientId, worker.clientSecret));
    expect(tokens.access_token).toEqual(expect.any(String));
    expect((await target.services.federation.connections.findById('exported-oidc'))?.secrets).toEqual({ clientSecret: 'upstream secret' });
  });

  it('refuses a file that is not an export, or a row PostgreSQL refuses, in one line, importing nothing', async () => {
    const notExport = path.join(dir, 'not-export.json');
    writeFileSync(notExport, '{"hello":"world"}');
    expectBadInput(await atTarget.cli('import', '--file', notExport), /^--file: not an export of this service/);
    const notJson = path.join(dir, 'not-json.json');
    writeFileSync(notJson, 'clients,name');
    expectBadInput(await atTarget.cli('import', '--file', notJson), /^--file: cannot read .* as JSON/);

    const organizationsBefore = (await sql<{ count: string }>`select count(*) from organizations`.execute(target.services.db)).rows[0]!.count;
    const broken = path.join(dir, 'broken.json');
    const tables = tablesOf(path.join(dir, 'export.json'));
    writeFileSync(
      broken,
      JSON.stringify({
        format: 'signin-configuration',
        version: 1,
        exportedAt: new Date().toISOString(),
        tables: { ...tables, organizations: [{ id: '00000000-0000-4000-8000-000000000001', name: 'Half', sso_enforced: false }], clients: [{ id: 'no-name' }] },
      }),
    );
    expectBadInput(await atTarget.cli('import', '--file', broken), /^--file: refused, nothing imported/);
    expect((await sql<{ count: string }>`select count(*) from organizations`.execute(target.services.db)).rows[0]!.count).toBe(organizationsBefore);
    expectBadInput(await atTarget.cli('import'), /^--file: /);
  });
});
