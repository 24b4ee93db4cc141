import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { cliRunner, testSecretsEnv } from './helpers/processes.ts';
import { type AuthorizationRequest, authorizationRequest, client, discover, exchangeCode, redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'barbara@example.com';
const password = 'liskov substitution 1987';

/** The authorization request without its code_challenge, as a legacy app sends it. */
function withoutPkce(request: AuthorizationRequest): string {
  const url = new URL(request.url);
  url.searchParams.delete('code_challenge');
  url.searchParams.delete('code_challenge_method');
  return url.toString();
}

describe('PKCE for every client (RFC 9700, OAuth 2.1)', () => {
  let server: RunningServer & { databaseUrl: string };
  const { cli, cliJson } = cliRunner(() => ({ NODE_ENV: 'test', DATABASE_URL: server.databaseUrl, ...testSecretsEnv }));

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET },
    });
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('refuses a confidential client that sends no code_challenge, and the plain method', async () => {
    const app = await registerRelyingParty(server);
    const refused = await new UserAgent().follow(withoutPkce(await authorizationRequest(app.config)), {}, redirectUri);
    expect(new URL(refused.url).searchParams.get('error')).toBe('invalid_request');
    expect(new URL(refused.url).searchParams.get('error_description')).toMatch(/requires PKCE/);

    const verifier = client.randomPKCECodeVerifier();
    const plain = await authorizationRequest(app.config, { code_challenge: verifier, code_challenge_method: 'plain' });
    const refusedPlain = await new UserAgent().follow(plain.url, {}, redirectUri);
    expect(new URL(refusedPlain.url).searchParams.get('error')).toBe('invalid_request');
    expect(new URL(refusedPlain.url).searchParams.get('error_description')).toMatch(/code_challenge_method/);

    // With S256 the same app signs in and redeems its code.
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    expect((await exchangeCode(app.config, callback.url, request)).claims()?.aud).toBe(app.clientId);
  });

  it('clients create --pkce-optional lets a legacy confidential app omit PKCE, shown by clients list; never plain, never a public app', async () => {
    const created = await cliJson<{ client_id: string; client_secret: string }>(
      'clients',
      'create',
      '--name',
      'Legacy intranet',
      '--redirect-uri',
      redirectUri,
      '--first-party',
      '--pkce-optional',
    );
    const listed = await cliJson<{ clientId: string; pkceOptional: boolean }[]>('clients', 'list');
    expect(listed).toContainEqual(expect.objectContaining({ clientId: created.client_id, pkceOptional: true }));

    const legacy = await discover(server.url, created.client_id, created.client_secret);
    const request = await authorizationRequest(legacy);
    const callback = await signInThroughBrowserless(new UserAgent(), withoutPkce(request), email, password);
    const code = new URL(callback.url).searchParams.get('code');
    expect(code, callback.url).toBeTruthy();
    const tokens = await client.authorizationCodeGrant(legacy, new URL(callback.url), { expectedState: request.state, expectedNonce: request.nonce });
    expect(tokens.claims()?.aud).toBe(created.client_id);

    const verifier = client.randomPKCECodeVerifier();
    const plain = await authorizationRequest(legacy, { code_challenge: verifier, code_challenge_method: 'plain' });
    const refusedPlain = await new UserAgent().follow(plain.url, {}, redirectUri);
    expect(new URL(refusedPlain.url).searchParams.get('error')).toBe('invalid_request');

    const others = await cliJson<{ clientId: string; pkceOptional: boolean }[]>('clients', 'list');
    expect(others.filter((entry) => entry.clientId !== created.client_id).every((entry) => entry.pkceOptional === false)).toBe(true);
  });

  it('refuses --pkce-optional for a public client', async () => {
    const result = await cli('clients', 'create', '--name', 'SPA', '--redirect-uri', redirectUri, '--public', '--pkce-optional');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--pkce-optional: a public client always uses PKCE/);
  });
});
