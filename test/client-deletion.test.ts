import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers/test-server.ts';

describe('deleting a client', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const requestToken = (clientId: string, clientSecret: string) =>
    fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });

  it('refuses the client at once, although client lookups are cached', async () => {
    const { clientId, clientSecret } = await server.services.oidc.clients.create(server.services.db, {
      name: 'Machine',
      redirectUris: [],
      grantTypes: ['client_credentials'],
    });
    const issued = await requestToken(clientId, clientSecret!);
    expect(issued.status).toBe(200);

    expect(await server.services.oidc.clients.delete(server.services.db, clientId)).toBe(true);
    const refused = await requestToken(clientId, clientSecret!);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
  });
});
