import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueInitialAccessToken } from '../src/oidc/dynamic-registration.ts';
import type { RunningServer } from '../src/server.ts';
import { serverWithCli } from './helpers/cli-server.ts';
import { authorizationRequest, client, discover, exchangeCode, redirectUri } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { UserAgent } from './helpers/user-agent.ts';

interface Registration {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  registration_access_token: string;
  registration_client_uri: string;
}

describe('dynamic client registration (RFC 7591, 7592)', () => {
  const { server: startedServer, cli, cliJson } = serverWithCli();
  let server: RunningServer;
  const email = 'grace@example.com';
  const password = 'compiler pioneer 1952';

  beforeAll(async () => {
    server = startedServer();
    await server.services.accounts.service.createAccount({ email, password, name: 'Grace Hopper', emailVerified: true });
  });

  const bearer = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  const register = (metadata: Record<string, unknown>, token?: string) =>
    fetch(`${server.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(metadata) });
  const manage = (registration: Pick<Registration, 'registration_client_uri'>, token: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(registration.registration_client_uri, {
      method: init.method ?? 'GET',
      headers: { ...bearer(token), ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
  /** An initial access token as `clients initial-access-token` issues it, without starting the CLI each time. */
  const initialAccessToken = async () => (await issueInitialAccessToken(server.services.db, 600)).token;
  async function registered(metadata: Record<string, unknown> = {}): Promise<Registration> {
    const response = await register({ client_name: 'Self-registered app', redirect_uris: [redirectUri], ...metadata }, await initialAccessToken());
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as Registration;
  }

  it('is announced in discovery', async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.registration_endpoint).toBe(`${server.services.config.issuer}/reg`);
  });

  it('clients initial-access-token prints a token that registers an app until it expires', async () => {
    const before = Date.now();
    const issued = await cliJson<{ initial_access_token: string; expires_at: string }>('clients', 'initial-access-token', '--expires-in', '3600');
    expect(Object.keys(issued).sort()).toEqual(['expires_at', 'initial_access_token']);
    const expiresAt = Date.parse(issued.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_601_000);

    const response = await register({ client_name: 'From the CLI token', redirect_uris: ['https://app.example.test/cb'] }, issued.initial_access_token);
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toContain('no-store');
    const body = (await response.json()) as Registration;
    expect(body.client_secret).toEqual(expect.any(String));
    expect(body.registration_access_token).toEqual(expect.any(String));
    expect(body.registration_client_uri).toBe(`${server.services.config.issuer}/reg/${body.client_id}`);

    // Stored like any other app, never first-party, its secret sealed.
    const row = await server.services.db.selectFrom('clients').selectAll().where('id', '=', body.client_id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'From the CLI token', first_party: false });
    expect(row.secret_encrypted).not.toContain(body.client_secret);
    expect(JSON.stringify(row.metadata)).not.toContain(body.client_secret!);

    // An expired token registers nothing.
    await sql`update oidc_models set expires_at = now() - interval '1 second' where model = 'InitialAccessToken' and id = ${issued.initial_access_token}`.execute(
      server.services.db,
    );
    const expired = await register({ redirect_uris: ['https://app.example.test/cb'] }, issued.initial_access_token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('clients initial-access-token refuses an unreasonable --expires-in in one line', async () => {
    for (const value of ['10', '99999999', 'soon']) {
      const result = await cli('clients', 'initial-access-token', '--expires-in', value, '--json');
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/--expires-in/);
    }
  });

  it('refuses a registration without an initial access token, or with an unknown one', async () => {
    const metadata = { redirect_uris: ['https://app.example.test/cb'] };
    for (const token of [undefined, 'not-an-issued-token']) {
      const response = await register(metadata, token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('answers a malformed registration with a 400 in OAuth terms', async () => {
    const token = await initialAccessToken();
    const send = (body: string) => fetch(`${server.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body });
    for (const [body, error] of [
      ['{"redirect_uris": [', 'invalid_request'],
      ['["https://app.example.test/cb"]', 'invalid_request'],
      ['{"redirect_uris": "https://app.example.test/cb"}', 'invalid_redirect_uri'],
      ['{"redirect_uris": ["https://app.example.test/cb"], "client_name": 42}', 'invalid_client_metadata'],
      ['{"redirect_uris": ["not a url"]}', 'invalid_redirect_uri'],
    ]) {
      const response = await send(body!);
      expect(response.status, body).toBe(400);
      expect(await response.json(), body).toMatchObject({ error });
    }
  });

  it('holds registrations to the registration rules', async () => {
    const token = await initialAccessToken();
    const refusals: [Record<string, unknown>, string][] = [
      [{ redirect_uris: ['http://app.example.test/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.test/cb'], post_logout_redirect_uris: ['http://app.example.test/bye'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.test/cb'], first_party: true }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://app.example.test/cb'], allowed_resources: ['https://api.example.test/'] }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://app.example.test/cb'], pkce_optional: true }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://app.example.test/cb'], jwks_uri: 'https://169.254.169.254/keys' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://app.example.test/cb'], grant_types: ['authorization_code', 'implicit'] }, 'invalid_client_metadata'],
      [{ grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://app.example.test/cb'], backchannel_logout_uri: 'http://127.0.0.1:9/logout' }, 'invalid_client_metadata'],
    ];
    for (const [metadata, error] of refusals) {
      const response = await register(metadata, token);
      expect(response.status, JSON.stringify(metadata)).toBe(400);
      expect(await response.json(), JSON.stringify(metadata)).toMatchObject({ error });
    }
    // Plain http is for the loopback only (a developer's machine, RFC 8252 native apps).
    for (const uri of ['http://localhost:8080/cb', 'http://127.0.0.1:9/cb', 'https://app.example.test/cb']) {
      expect((await register({ redirect_uris: [uri] }, token)).status, uri).toBe(201);
    }
  });

  it('lets the registration access token read, update and delete its own registration only', async () => {
    const mine = await registered({ client_name: 'Mine' });
    const theirs = await registered({ client_name: 'Theirs' });

    const read = await manage(mine, mine.registration_access_token);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: mine.client_id, client_name: 'Mine', redirect_uris: [redirectUri] });

    // Another registration's token reads nothing of this one (and is revoked for trying, by oidc-provider).
    const crossed = await manage(mine, theirs.registration_access_token);
    expect(crossed.status).toBe(401);
    expect(await crossed.json()).toMatchObject({ error: 'invalid_token' });
    expect((await manage(theirs, theirs.registration_access_token)).status).toBe(401);
    expect((await manage(mine, 'not-a-registration-token')).status).toBe(401);

    // An update goes through the same rules, then rotates the registration access token.
    const update = { client_id: mine.client_id, client_name: 'Mine, renamed', redirect_uris: ['https://mine.example.test/cb'] };
    const refused = await manage(mine, mine.registration_access_token, { method: 'PUT', body: { ...update, redirect_uris: ['http://mine.example.test/cb'] } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_redirect_uri' });
    const operatorOnly = await manage(mine, mine.registration_access_token, { method: 'PUT', body: { ...update, first_party: true } });
    expect(operatorOnly.status).toBe(400);
    expect(await operatorOnly.json()).toMatchObject({ error: 'invalid_client_metadata' });

    const updated = await manage(mine, mine.registration_access_token, { method: 'PUT', body: update });
    expect(updated.status).toBe(200);
    const afterUpdate = (await updated.json()) as Registration & { client_name: string };
    expect(afterUpdate).toMatchObject({ client_name: 'Mine, renamed', redirect_uris: ['https://mine.example.test/cb'], client_secret: mine.client_secret });
    expect(afterUpdate.registration_access_token).not.toBe(mine.registration_access_token);
    expect((await manage(mine, mine.registration_access_token)).status).toBe(401);
    const row = await server.services.db.selectFrom('clients').selectAll().where('id', '=', mine.client_id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: 'Mine, renamed',
      first_party: false,
      metadata: expect.objectContaining({ redirect_uris: ['https://mine.example.test/cb'] }),
    });

    const deleted = await manage(mine, afterUpdate.registration_access_token, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await server.services.db.selectFrom('clients').select('id').where('id', '=', mine.client_id).executeTakeFirst()).toBeUndefined();
    expect((await manage(mine, afterUpdate.registration_access_token)).status).toBe(401);
  });

  it('writes the client and its registration access token together, or neither', async () => {
    const db = server.services.db;
    // PostgreSQL itself refuses the registration access token, after the client was written.
    await sql`create function refuse_registration_tokens() returns trigger language plpgsql as $$
      begin raise exception 'registration access tokens refused by the test'; end $$`.execute(db);
    await sql`create trigger refuse_registration_tokens before insert on oidc_models for each row
      when (new.model = 'RegistrationAccessToken') execute function refuse_registration_tokens()`.execute(db);
    try {
      const countClients = async () => (await db.selectFrom('clients').select(db.fn.countAll<string>().as('count')).executeTakeFirstOrThrow()).count;
      const before = await countClients();
      const response = await register({ client_name: 'Half written', redirect_uris: [redirectUri] }, await initialAccessToken());
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: 'server_error' });
      expect(await countClients()).toBe(before);
    } finally {
      await sql`drop trigger refuse_registration_tokens on oidc_models`.execute(db);
      await sql`drop function refuse_registration_tokens()`.execute(db);
    }
    expect((await register({ client_name: 'Whole', redirect_uris: [redirectUri] }, await initialAccessToken())).status).toBe(201);
  });

  it('a registered app signs a person in with the authorization code and PKCE (openid-client)', async () => {
    const app = await registered({ client_name: 'Registered product app', scope: 'openid email profile' });
    const config = await discover(server.url, app.client_id, app.client_secret);
    const agent = new UserAgent();
    const request = await authorizationRequest(config, { scope: 'openid email' });
    // A registered app is a third party: the person allows it first.
    const consent = await signInThroughBrowserless(agent, request.url, email, password);
    expect(consent.$('form[action*="/consent"]').length, consent.body.slice(0, 500)).toBe(1);
    const callback = await agent.submit(consent, 'form[action*="/consent"]', {}, redirectUri);
    expect(callback.url.startsWith(`${redirectUri}?code=`)).toBe(true);

    const tokens = await exchangeCode(config, callback.url, request);
    expect(tokens.claims()).toMatchObject({ aud: app.client_id, iss: server.services.config.issuer });
    expect(await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ email });

    // Without PKCE the same app is refused (S256 is required of every app).
    const withoutPkce = new URL(request.url);
    withoutPkce.searchParams.delete('code_challenge');
    withoutPkce.searchParams.delete('code_challenge_method');
    const refused = await agent.follow(withoutPkce.toString(), {}, redirectUri);
    expect(new URL(refused.url).searchParams.get('error')).toBe('invalid_request');
  });
});
