import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, client, exchangeCode, registerRelyingParty } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'hedy@example.com';
const password = 'frequency hopping 1942';

describe('ID token signing algorithm chosen per client', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer();
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('publishes RS256, ES256 and EdDSA in discovery', async () => {
    const metadata = await (await fetch(new URL('/.well-known/openid-configuration', server.url))).json();
    expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256', 'EdDSA']));
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)('signs the ID token with %s for a client registered with it, verified by openid-client', async (alg) => {
    const registered = await registerRelyingParty(server, { idTokenSigningAlg: alg });
    // The app declares the algorithm it expects and checks the signature against /jwks.
    const config = await client.discovery(
      new URL(server.url),
      registered.clientId,
      { client_secret: registered.clientSecret!, id_token_signed_response_alg: alg },
      undefined,
      { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
    );
    const request = await authorizationRequest(config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    const tokens = await exchangeCode(config, callback.url, request);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe(alg);
    expect(tokens.claims()?.aud).toBe(registered.clientId);
  });
});
