import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { client, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

const ordersApi = 'https://orders.example.test/';
const billingApi = 'https://billing.example.test/';

describe('client_credentials with JWT access tokens for registered APIs', () => {
  let server: RunningServer;
  let service: TestClient;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  const verify = (token: string, audience: string) => jwtVerify(token, jwks, { issuer: server.services.config.issuer, audience, typ: 'at+jwt' });

  beforeAll(async () => {
    server = await startTestServer();
    service = await registerRelyingParty(server, { grantTypes: ['client_credentials'], allowedResources: [ordersApi, billingApi] });
    await server.services.oidc.resourceServers.register({
      identifier: ordersApi,
      name: 'Orders',
      scopes: ['orders:read', 'orders:write'],
      signingAlg: 'RS256',
    });
    await server.services.oidc.resourceServers.register({ identifier: billingApi, name: 'Billing', scopes: ['billing:read'], signingAlg: 'ES256' });
    jwks = createRemoteJWKSet(new URL('/jwks', server.url));
  });
  afterAll(() => server?.close());

  it('issues an RS256 JWT for the API, verifiable with the published JWKS', async () => {
    const tokens = await client.clientCredentialsGrant(service.config, { scope: 'orders:read', resource: ordersApi });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBeGreaterThan(0);

    const { payload, protectedHeader } = await verify(tokens.access_token, ordersApi);
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ aud: ordersApi, client_id: service.clientId, scope: 'orders:read' });
    expect(payload.sub).toBe(service.clientId);
  });

  it('signs with ES256 for an API registered with ES256', async () => {
    const tokens = await client.clientCredentialsGrant(service.config, { scope: 'billing:read', resource: billingApi });
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('ES256');
    const { payload } = await verify(tokens.access_token, billingApi);
    expect(payload).toMatchObject({ aud: billingApi, client_id: service.clientId, scope: 'billing:read' });
  });

  it('does not let a token for one API be accepted by another', async () => {
    const tokens = await client.clientCredentialsGrant(service.config, { scope: 'orders:read', resource: ordersApi });
    await expect(verify(tokens.access_token, billingApi)).rejects.toThrow(/aud/);
  });

  it('grants only scopes the API defines', async () => {
    const tokens = await client.clientCredentialsGrant(service.config, { scope: 'orders:read billing:read', resource: ordersApi });
    const { payload } = await verify(tokens.access_token, ordersApi);
    expect(payload.scope).toBe('orders:read');
  });

  it('refuses an unknown resource with invalid_target', async () => {
    const error = await client
      .clientCredentialsGrant(service.config, { scope: 'orders:read', resource: 'https://unknown.example.test/' })
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(client.ResponseBodyError);
    expect((error as client.ResponseBodyError).error).toBe('invalid_target');
  });

  it('refuses a registered API that the client is not allowed to call', async () => {
    const ordersOnly = await registerRelyingParty(server, { grantTypes: ['client_credentials'], allowedResources: [ordersApi] });
    expect((await client.clientCredentialsGrant(ordersOnly.config, { scope: 'orders:read', resource: ordersApi })).access_token).toBeTruthy();
    const error = await client.clientCredentialsGrant(ordersOnly.config, { scope: 'billing:read', resource: billingApi }).catch((reason: unknown) => reason);
    expect((error as client.ResponseBodyError).error).toBe('invalid_target');
  });

  it('refuses client_credentials to a client not registered for it', async () => {
    const app = await registerRelyingParty(server);
    const error = await client.clientCredentialsGrant(app.config, { scope: 'orders:read', resource: ordersApi }).catch((reason: unknown) => reason);
    // oidc-provider answers invalid_request here (RFC 6749 would say unauthorized_client).
    expect((error as client.ResponseBodyError).cause).toEqual({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
  });
});
