import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, client, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'rosalind@example.com';
const password = 'photograph fifty one';

describe('DPoP sender-constrained tokens', () => {
  let server: RunningServer;
  let app: TestClient;
  let service: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    service = await registerRelyingParty(server, { grantTypes: ['client_credentials'] });
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('binds tokens to the app key: userinfo needs the proof, a plain bearer use is refused', async () => {
    const DPoP = client.getDPoPHandle(app.config, await client.randomDPoPKeyPair());
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    const tokens = await client.authorizationCodeGrant(
      app.config,
      new URL(callback.url),
      { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce },
      undefined,
      { DPoP },
    );
    expect(tokens.token_type.toLowerCase()).toBe('dpop');

    const sub = tokens.claims()!.sub;
    expect(await client.fetchUserInfo(app.config, tokens.access_token, sub, { DPoP })).toMatchObject({ sub, email });
    const bearer = await fetch(new URL('/me', server.url), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(bearer.status).toBe(401);

    const refreshed = await client.refreshTokenGrant(app.config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
  });

  it('refuses a replayed DPoP proof (remembered through the adapter), not a fresh one from the same key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const proof = (jti: string) =>
      new SignJWT({ htm: 'POST', htu: `${server.url}/token`, jti }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt().sign(privateKey);
    const tokenRequest = (dpop: string) =>
      fetch(new URL('/token', server.url), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          dpop,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });

    const once = await proof(randomUUID());
    const first = await tokenRequest(once);
    expect(first.status).toBe(200);
    expect((await first.json()).token_type).toBe('DPoP');
    const seen = await sql<{ count: string }>`select count(*) from oidc_models where model = 'ReplayDetection'`.execute(server.services.db);
    expect(Number(seen.rows[0]!.count)).toBeGreaterThan(0);

    const replay = await tokenRequest(once);
    expect(replay.status).toBe(400);
    expect((await replay.json()).error).toBe('invalid_grant');

    expect((await tokenRequest(await proof(randomUUID()))).status).toBe(200);
  });
});
