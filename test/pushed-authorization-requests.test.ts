import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'dorothy@example.com';
const password = 'crystallography 1964';

describe('pushed authorization requests (PAR)', () => {
  let server: RunningServer;
  let app: TestClient;

  const pushedRequest = (params: Record<string, string> = {}) =>
    authorizationRequest(app.config, { scope: 'openid email', ...params }, client.buildAuthorizationUrlWithPAR);

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('advertises the PAR endpoint', () => {
    expect(app.config.serverMetadata().pushed_authorization_request_endpoint).toBe(`${server.url}/request`);
  });

  it('signs in with a pushed request: the browser only carries client_id and request_uri', async () => {
    const request = await pushedRequest();
    const url = new URL(request.url);
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    expect(new URL(callback.url).searchParams.get('state')).toBe(request.state);
    const tokens = await exchangeCode(app.config, callback.url, request);
    expect(tokens.claims()).toMatchObject({ aud: app.clientId, nonce: request.nonce });
  });

  it('uses a request_uri once', async () => {
    const request = await pushedRequest();
    const agent = new UserAgent();
    await signInThroughBrowserless(agent, request.url, email, password);

    const replay = await agent.follow(request.url, {}, redirectUri);
    const params = new URL(replay.url).searchParams;
    expect(params.get('code')).toBeNull();
    expect(params.get('error')).toBe('invalid_request_uri');
  });

  it('refuses to push a request with an unregistered redirect_uri', async () => {
    const error = await pushedRequest({ redirect_uri: 'http://127.0.0.1:9/elsewhere' }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(client.ResponseBodyError);
    expect((error as client.ResponseBodyError).cause).toEqual({
      error: 'invalid_request',
      error_description: "redirect_uri did not match any of the client's registered redirect_uris",
    });
  });
});
