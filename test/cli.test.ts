import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands.ts';
import type { RunningServer } from '../src/server.ts';
import { cliRunner, type Finished, projectRoot, runNode, testSecretsEnv } from './helpers/processes.ts';
import { client, discover } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

describe('npm run cli against DATABASE_URL', () => {
  let server: RunningServer & { databaseUrl: string };
  let env: Record<string, string>;

  // The in-process server shares the database and the secrets with the CLI.
  const { cli, cliJson } = cliRunner(() => env);

  function expectBadInput(result: Finished, message: RegExp): void {
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  }

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET },
    });
    env = { NODE_ENV: 'test', DATABASE_URL: server.databaseUrl, ...testSecretsEnv };
  });
  afterAll(() => server?.close());

  it('clients create prints an id and a secret that the token endpoint accepts', async () => {
    const billingApi = 'https://billing.example.test/';
    await server.services.oidc.resourceServers.register({ identifier: billingApi, name: 'Billing', scopes: ['invoices:read'], signingAlg: 'RS256' });
    const created = await cliJson<{ client_id: string; client_secret: string }>(
      'clients',
      'create',
      '--name',
      'Billing worker',
      '--grant-types',
      'client_credentials',
      '--resource',
      billingApi,
    );
    expect(Object.keys(created).sort()).toEqual(['client_id', 'client_secret']);

    const config = await discover(server.url, created.client_id, created.client_secret);
    const tokens = await client.clientCredentialsGrant(config);
    expect(tokens.access_token).toBeTruthy();
    // --resource lets it get JWT access tokens for that API.
    const forApi = await client.clientCredentialsGrant(config, { scope: 'invoices:read', resource: billingApi });
    expect(forApi.access_token.split('.')).toHaveLength(3);
    await expect(client.clientCredentialsGrant(await discover(server.url, created.client_id, 'not-the-secret'))).rejects.toThrow();
  });

  it('clients create stores redirect URIs, first-party flag, logo and home page; --public has no secret', async () => {
    const created = await cliJson<{ client_id: string; client_secret?: string }>(
      'clients',
      'create',
      '--name',
      'Admin center',
      '--public',
      '--first-party',
      '--redirect-uri',
      'http://127.0.0.1:9/callback',
      '--redirect-uri',
      'http://127.0.0.1:9/other',
      '--post-logout-redirect-uri',
      'http://127.0.0.1:9/bye',
      '--grant-types',
      'authorization_code,refresh_token',
      '--logo-uri',
      'https://cdn.example.com/admin.png',
      '--client-uri',
      'https://admin.example.com',
    );
    expect(created.client_secret).toBeUndefined();

    const registered = await server.host.provider.Client.find(created.client_id);
    expect(registered).toMatchObject({
      clientName: 'Admin center',
      redirectUris: ['http://127.0.0.1:9/callback', 'http://127.0.0.1:9/other'],
      postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'none',
      logoUri: 'https://cdn.example.com/admin.png',
      clientUri: 'https://admin.example.com',
    });
    expect(registered?.metadata()).toMatchObject({ first_party: true });
  });

  it('clients list shows the clients without their secrets, clients delete removes one', async () => {
    const created = await cliJson<{ client_id: string; client_secret: string }>(
      'clients',
      'create',
      '--name',
      'Short-lived',
      '--redirect-uri',
      'https://app.example.com/cb',
    );
    const listed = await cli('clients', 'list', '--json');
    const clients = JSON.parse(listed.stdout) as { clientId: string; name: string; isPublic: boolean }[];
    expect(clients).toContainEqual(expect.objectContaining({ clientId: created.client_id, name: 'Short-lived', isPublic: false }));
    expect(listed.stdout).not.toContain(created.client_secret);

    expect(await cliJson('clients', 'delete', created.client_id)).toEqual({ deleted: created.client_id });
    const after = await cliJson<{ clientId: string }[]>('clients', 'list');
    expect(after.map((entry) => entry.clientId)).not.toContain(created.client_id);
    expect(await server.host.provider.Client.find(created.client_id)).toBeUndefined();
    expectBadInput(await cli('clients', 'delete', created.client_id), /^No client /);
  });

  it('users create makes an account that signs in with that password', async () => {
    const password = 'a long enough password';
    const user = await cliJson<{ id: string; email: string }>(
      'users',
      'create',
      '--email',
      ' Linus@Example.COM ',
      '--password',
      password,
      '--name',
      'Linus Torvalds',
      '--verified',
    );
    expect(user.email).toBe('linus@example.com');
    const account = await server.services.accounts.service.authenticateWithPassword('linus@example.com', password);
    expect(account).toMatchObject({ id: user.id, name: 'Linus Torvalds', email_verified: true });

    const duplicate = await cli('users', 'create', '--email', 'linus@example.com', '--password', 'another secret password');
    expectBadInput(duplicate, /^An account already exists for linus@example\.com$/);
    expect(duplicate.stderr).not.toContain('another secret password');
  });

  it('keys rotate adds a generation that is published now and signs later; keys list shows next, current and retired keys', async () => {
    const before = await cliJson<{ kid: string; status: string }[]>('keys', 'list');
    const rotated = await cliJson<{ next: string[]; signsFrom: string }>('keys', 'rotate');
    expect(rotated.next).toHaveLength(3);
    expect(new Date(rotated.signsFrom).getTime()).toBeGreaterThan(Date.now());
    const after = await cliJson<{ kid: string; alg: string; status: string }[]>('keys', 'list');
    expect(
      after
        .filter((key) => key.status === 'next')
        .map((key) => key.kid)
        .sort(),
    ).toEqual([...rotated.next].sort());
    expect(new Set(after.filter((key) => key.status === 'next').map((key) => key.alg))).toEqual(new Set(['RS256', 'ES256', 'EdDSA']));
    // Until the new generation signs, the one before stays current.
    for (const key of before.filter((entry) => entry.status === 'current')) {
      expect(after).toContainEqual(expect.objectContaining({ kid: key.kid, status: 'current' }));
    }
  });

  it('answers bad input with one line on stderr and exit code 2', async () => {
    expectBadInput(await cli('clients', 'create', '--redirect-uri', 'https://app.example.com/cb'), /^--name: /);
    expectBadInput(await cli('clients', 'create', '--name', 'X', '--redirect-uri', 'not a url'), /^--redirect-uri\.0: /);
    expectBadInput(await cli('clients', 'create', '--name', 'X'), /^--redirect-uri: required for authorization_code clients$/);
    expectBadInput(
      await cli('clients', 'create', '--name', 'X', '--public', '--grant-types', 'client_credentials'),
      /^--public: a public client cannot use client_credentials$/,
    );
    expectBadInput(
      await cli('clients', 'create', '--name', 'X', '--redirect-uri', 'https://a.example/cb', '--logo-uri', 'javascript:alert(1)'),
      /^--logo-uri: /,
    );
    expectBadInput(await cli('clients', 'create', '--name', 'X', '--bogus'), /Unknown option '--bogus'/);
    expectBadInput(await cli('clients', 'explode'), /^Unknown command "clients explode"/);
  });

  it('refuses a bad email and a weak password in one line, never echoing the password', async () => {
    const badUser = await cli('users', 'create', '--email', 'not-an-email', '--password', 'hunter2');
    expectBadInput(badUser, /^--email: .*; --password: /);
    expect(badUser.stderr).not.toContain('hunter2');
    // The sign-up page's password policy, not only a length.
    const common = await cli('users', 'create', '--email', 'weak@example.com', '--password', 'Password1');
    expectBadInput(common, /^--password: This password is too common or has appeared in data breaches\./);
    expect(common.stderr).not.toContain('Password1');
    expect(await server.services.accounts.repository.findByEmail('weak@example.com')).toBeUndefined();
  });

  it('every command is documented in the README', () => {
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    for (const command of Object.keys(commands)) expect(readme).toContain(`| \`${command}`);
  });

  it('without a command prints the usage and exits 2; --help exits 0', async () => {
    const bare = await cli();
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('clients create');
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const command of ['migrate', 'keys rotate', 'keys list', 'clients create', 'clients list', 'clients delete', 'users create']) {
      expect(help.stdout).toContain(command);
    }
  });

  it('fails in one line (exit 1) when the database is unreachable, without printing its password', async () => {
    const result = await runNode(['src/cli/main.ts', 'clients', 'list'], { ...env, DATABASE_URL: 'postgres://signin:db-password@127.0.0.1:1/signin' });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^Error: .*ECONNREFUSED/);
    expect(result.stderr).not.toContain('db-password');
  });
});
