import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistrationInvalidError, registerClient, registerResourceServer } from '../src/oidc/client-registration.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers/test-server.ts';

/** The rules every way of registering an app or an API applies (the CLI, the admin center, its API). */
describe('client and resource-server registration service', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const refusal = async (registration: Record<string, unknown>) => {
    const error = await registerClient(server.services.db, server.services.oidc.clients, registration).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistrationInvalidError);
    return (error as RegistrationInvalidError).issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('refuses what breaks a rule, field by field, and registers nothing', async () => {
    expect(await refusal({ name: 'No redirect' })).toEqual(['redirectUris: required for authorization_code clients']);
    expect(await refusal({ name: 'Public worker', isPublic: true, grantTypes: ['client_credentials'] })).toEqual([
      'isPublic: a public client cannot use client_credentials',
    ]);
    expect(await refusal({ name: 'Public', isPublic: true, redirectUris: ['https://a.example/cb'], pkceOptional: true })).toEqual([
      'pkceOptional: a public client always uses PKCE',
    ]);
    expect(await refusal({ name: 'Sid', redirectUris: ['https://a.example/cb'], backchannelLogoutSessionRequired: true })).toEqual([
      'backchannelLogoutSessionRequired: needs a back-channel logout URI',
    ]);
    expect(await refusal({ name: 'Bad', redirectUris: ['https://a.example/cb'], logoUri: 'javascript:alert(1)', grantTypes: ['implicit'] })).toHaveLength(2);
    expect(await refusal({ name: 'Plain login', redirectUris: ['https://a.example/cb'], initiateLoginUri: 'http://a.example/login' })).toEqual([
      expect.stringMatching(/^initiateLoginUri: /),
    ]);
    expect((await server.services.oidc.clients.list()).map((client) => client.name)).not.toContain('Bad');
  });

  it('registers an app with the defaults (sign-in with refresh tokens, confidential, PKCE required)', async () => {
    const created = await registerClient(server.services.db, server.services.oidc.clients, { name: 'Defaults', redirectUris: ['https://a.example/cb'] });
    expect(created.clientSecret).toEqual(expect.any(String));
    const listed = (await server.services.oidc.clients.list()).find((client) => client.clientId === created.clientId);
    expect(listed).toMatchObject({ grantTypes: ['authorization_code', 'refresh_token'], firstParty: false, pkceOptional: false });
  });

  it('registers an API whose tokens last ACCESS_TOKEN_TTL unless it says otherwise, RS256 by default', async () => {
    const identifier = 'https://api.example.test/registration';
    await registerResourceServer(server.services.oidc.resourceServers, { accessTokenTtlSeconds: 600 }, { identifier, name: 'API', scopes: ['read'] });
    expect(await server.services.oidc.resourceServers.find(identifier)).toEqual({
      identifier,
      name: 'API',
      scopes: ['read'],
      signingAlg: 'RS256',
      accessTokenTtlSeconds: 600,
    });
    await expect(
      registerResourceServer(server.services.oidc.resourceServers, { accessTokenTtlSeconds: 600 }, { identifier: 'api', name: '' }),
    ).rejects.toBeInstanceOf(RegistrationInvalidError);
  });
});
