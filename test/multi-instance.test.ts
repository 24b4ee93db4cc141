import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../src/oidc/signing-keys.ts';
import { createTestDatabase } from './helpers/database.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { publishedKids, travelInTime } from './helpers/signing-keys.ts';
import { startTestServer } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'annie@example.com';
const password = 'chemistry of stars 1901';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** Points an app's configuration at another instance behind the same issuer, as a load balancer would. */
function viaInstance(config: client.Configuration, instance: TestServer, clientSecret: string): client.Configuration {
  const metadata = JSON.parse(JSON.stringify(config.serverMetadata())) as client.ServerMetadata;
  const rebase = (endpoint: string | undefined) => endpoint && new URL(new URL(endpoint).pathname, instance.url).toString();
  const rebased = new client.Configuration(
    {
      ...metadata,
      authorization_endpoint: rebase(metadata.authorization_endpoint),
      token_endpoint: rebase(metadata.token_endpoint),
      introspection_endpoint: rebase(metadata.introspection_endpoint),
      jwks_uri: rebase(metadata.jwks_uri),
    },
    config.clientMetadata().client_id,
    clientSecret,
  );
  client.allowInsecureRequests(rebased);
  return rebased;
}

describe('two instances on one database', () => {
  let a: TestServer;
  let b: TestServer;
  let app: TestClient;
  let onB: client.Configuration;

  beforeAll(async () => {
    a = await startTestServer({ overrides: { keyRefreshSeconds: 1 } });
    // Both instances serve one issuer; in production they sit behind one load-balanced host name.
    b = await startTestServer({ databaseUrl: a.databaseUrl, overrides: { issuer: a.services.config.issuer, keyRefreshSeconds: 1 } });
    app = await registerRelyingParty(a);
    onB = viaInstance(app.config, b, app.clientSecret!);
    await a.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('redeems on B a code issued by A, and B refreshes and introspects the tokens', async () => {
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    const tokens = await exchangeCode(onB, callback.url, request);
    expect(tokens.claims()).toMatchObject({ iss: a.services.config.issuer, aud: app.clientId, nonce: request.nonce });

    const refreshed = await client.refreshTokenGrant(onB, tokens.refresh_token!);
    expect((await client.tokenIntrospection(app.config, refreshed.access_token)).active).toBe(true);
    expect((await client.tokenIntrospection(onB, tokens.access_token)).active).toBe(true);
  });

  it('publishes the same JWKS on both instances', async () => {
    const kids = await publishedKids(a.url);
    expect(kids).toHaveLength(3);
    expect(await publishedKids(b.url)).toEqual(kids);
  });

  it('recognizes on B a session made on A (shared cookie keys), but not on an instance with other cookie keys', async () => {
    const agent = new UserAgent();
    await signInThroughBrowserless(agent, (await authorizationRequest(app.config)).url, email, password);

    // Cookies are per host, not per port: the same jar presents A's session cookie to B.
    const silentOnB = await authorizationRequest(onB, { prompt: 'none' });
    expect(new URL(silentOnB.url).origin).toBe(b.url);
    const response = await agent.follow(silentOnB.url, {}, redirectUri);
    const code = new URL(response.url).searchParams.get('code');
    expect(code, response.url).toBeTruthy();
    await exchangeCode(onB, response.url, silentOnB);

    const stranger = await startTestServer({
      databaseUrl: a.databaseUrl,
      overrides: { issuer: a.services.config.issuer, cookieSecrets: ['another-cookie-secret-0123456789abcdefghijklmn'] },
    });
    try {
      const silentOnStranger = await authorizationRequest(viaInstance(app.config, stranger, app.clientSecret!), { prompt: 'none' });
      const refused = await agent.follow(silentOnStranger.url, {}, redirectUri);
      expect(new URL(refused.url).searchParams.get('error')).toBe('login_required');
    } finally {
      await stranger.close();
    }
  });

  it('never signs with a key the other instance does not publish yet', async () => {
    const oldKids = await publishedKids(a.url);
    const next = await rotateSigningKeys(a.services.db, a.services.secretBox, { activationDelaySeconds: 600, retiredKeyGraceSeconds: 3600 });
    const idTokenKid = async (config: client.Configuration) => {
      const request = await authorizationRequest(app.config);
      const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
      return decodeProtectedHeader((await exchangeCode(config, callback.url, request)).id_token!).kid!;
    };

    // Both instances pick up the next generation; until it is active, both still sign with the old keys.
    for (const instance of [a, b]) {
      await until(async () => ((await publishedKids(instance.url)).length === 6 ? true : undefined), `${instance.url} to publish the next keys`);
    }
    expect(oldKids).toContain(await idTokenKid(app.config));
    expect(oldKids).toContain(await idTokenKid(onB));

    await travelInTime(a.services.db, 600);
    await until(async () => (next.includes(await idTokenKid(app.config)) ? true : undefined), 'A to sign with the new keys');
    await until(async () => (next.includes(await idTokenKid(onB)) ? true : undefined), 'B to sign with the new keys');
    expect(await publishedKids(b.url)).toEqual(await publishedKids(a.url));
  });

  it('creates one key generation when instances start together on an empty database', async () => {
    const databaseUrl = await createTestDatabase();
    const [first, second] = await Promise.all([startTestServer({ databaseUrl }), startTestServer({ databaseUrl })]);
    try {
      const kids = await publishedKids(first.url);
      expect(kids).toHaveLength(3);
      expect(await publishedKids(second.url)).toEqual(kids);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
