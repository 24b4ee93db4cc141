import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrValues } from '../src/factors/assurance.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import type { RunningServer } from '../src/server.ts';
import { enrolAuthenticatorApp } from './helpers/authenticator.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const password = 'correct horse battery staple';
const api = 'https://reports.example.test/';

describe('RFC 9470: acr and auth_time in JWT access tokens and introspection', () => {
  let server: RunningServer;
  let app: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    await server.services.oidc.resourceServers.register({ identifier: api, name: 'Reports', scopes: ['reports:read'], signingAlg: 'ES256' });
    app = await registerRelyingParty(server, { allowedResources: [api] });
  });
  afterAll(() => server?.close());

  /** Password and authenticator app code through the sign-in pages; returns the app's tokens. */
  async function signInWithFactor(email: string, code: string, params: Record<string, string>) {
    const agent = new UserAgent();
    const started = await startInteraction(agent, app, params);
    const passwordPage = await enterEmail(agent, started.page, email);
    const confirm = await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
    expect(confirm.$('h1').text()).toBe("Confirm it's you");
    const callback = await agent.submit(confirm, 'form[action*="/confirm?"]', { code }, redirectUri);
    expect(callback.url, callback.body.slice(0, 300)).toMatch(/[?]code=/);
    return exchangeCode(app.config, callback.url, started.request);
  }

  const verifyForApi = async (token: string) =>
    (await jwtVerify(token, createRemoteJWKSet(new URL('/jwks', server.url)), { issuer: server.url, audience: api, typ: 'at+jwt' })).payload;

  it('carries the sign-in of the ID token in the JWT for an API, through refreshes, and in the introspection of an opaque token', async () => {
    const email = 'analyst@assurance.test';
    const account = await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
    const { secret } = await enrolAuthenticatorApp(server, { id: account.id, email });

    const tokens = await signInWithFactor(email, totpCodeAt(secret, new Date()), { scope: 'openid reports:read', resource: api });
    const idToken = tokens.claims()!;
    expect(idToken.acr).toBe(acrValues[1]);
    expect(typeof idToken.auth_time).toBe('number');
    const forApi = await verifyForApi(tokens.access_token);
    expect(forApi).toMatchObject({ sub: account.id, acr: acrValues[1], auth_time: idToken.auth_time, scope: 'reports:read' });

    // A refresh (a later token request, no sign-in) still says how and when the person signed in.
    const refreshed = await client.refreshTokenGrant(app.config, tokens.refresh_token!, { resource: api });
    expect(await verifyForApi(refreshed.access_token)).toMatchObject({ acr: acrValues[1], auth_time: idToken.auth_time });

    // The app's own (opaque) token: the introspection answer says it too (the next step's code: each code works once).
    const own = await signInWithFactor(email, totpCodeAt(secret, new Date(Date.now() + 30_000)), { scope: 'openid' });
    const introspection = await client.tokenIntrospection(app.config, own.access_token);
    expect(introspection).toMatchObject({ active: true, sub: account.id, acr: acrValues[1], auth_time: own.claims()!.auth_time });
  });

  it('gives a client_credentials token, issued for no person, neither', async () => {
    const machine = await registerRelyingParty(server, { grantTypes: ['client_credentials'], allowedResources: [api] });
    const tokens = await client.clientCredentialsGrant(machine.config, { resource: api, scope: 'reports:read' });
    const payload = await verifyForApi(tokens.access_token);
    expect(payload).not.toHaveProperty('acr');
    expect(payload).not.toHaveProperty('auth_time');
  });
});
