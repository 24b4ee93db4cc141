import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';
import { UserAgent } from './helpers/user-agent.ts';

const redirectUri = 'http://127.0.0.1:9/upstream-callback';

describe('the test upstream (oidc-provider as a company or social IdP)', () => {
  let upstream: UpstreamOidcProvider;
  beforeAll(async () => {
    upstream = await UpstreamOidcProvider.start({
      clients: [{ client_id: 'rp', client_secret: 'rp-secret', redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
      account: { sub: 'upstream-user', claims: { email: 'someone@example.com', email_verified: true } },
    });
  });
  afterAll(() => upstream.close());

  it('prints no oidc-provider NOTICE line through a whole sign-in (its TTLs are set)', async () => {
    const info = vi.spyOn(console, 'info');
    try {
      const config = await client.discovery(new URL(upstream.issuer), 'rp', 'rp-secret', undefined, { execute: [client.allowInsecureRequests] });
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      const end = await new UserAgent().follow(url.href, {}, redirectUri);
      const tokens = await client.authorizationCodeGrant(config, new URL(end.url), { pkceCodeVerifier: codeVerifier, expectedState: state });
      expect(tokens.claims()?.sub).toBe('upstream-user');
      const notices = info.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('oidc-provider NOTICE'));
      expect(notices).toEqual([]);
    } finally {
      info.mockRestore();
    }
  });
});
