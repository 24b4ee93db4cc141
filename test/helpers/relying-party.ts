import * as client from 'openid-client';
import type { RunningServer } from '../../src/server.ts';

export const redirectUri = 'http://127.0.0.1:9/callback';
export const postLogoutRedirectUri = 'http://127.0.0.1:9/signed-out';

export interface TestClient {
  clientId: string;
  clientSecret?: string;
  config: client.Configuration;
}

/** Registers an app (as the CLI would) and discovers the server with openid-client, like a product app. */
export async function registerRelyingParty(
  server: RunningServer,
  options: {
    firstParty?: boolean;
    isPublic?: boolean;
    grantTypes?: string[];
    idTokenSigningAlg?: 'RS256' | 'ES256' | 'EdDSA';
    allowedResources?: string[];
    backchannelLogoutUri?: string;
    backchannelLogoutSessionRequired?: boolean;
  } = {},
): Promise<TestClient> {
  const { clientId, clientSecret } = await server.services.oidc.clients.create(server.services.db, {
    name: 'Test App',
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [postLogoutRedirectUri],
    grantTypes: options.grantTypes ?? ['authorization_code', 'refresh_token'],
    firstParty: options.firstParty ?? true,
    isPublic: options.isPublic ?? false,
    ...(options.idTokenSigningAlg ? { idTokenSigningAlg: options.idTokenSigningAlg } : {}),
    ...(options.allowedResources ? { allowedResources: options.allowedResources } : {}),
    ...(options.backchannelLogoutUri
      ? { backchannelLogoutUri: options.backchannelLogoutUri, backchannelLogoutSessionRequired: options.backchannelLogoutSessionRequired ?? false }
      : {}),
  });
  return { clientId, ...(clientSecret ? { clientSecret } : {}), config: await discover(server.url, clientId, clientSecret) };
}

export function discover(issuer: string, clientId: string, clientSecret?: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), clientId, clientSecret, clientSecret ? undefined : client.None(), {
    execute: [client.allowInsecureRequests],
  });
}

export interface AuthorizationRequest {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

type UrlBuilder = (config: client.Configuration, params: Record<string, string>) => URL | Promise<URL>;

/** An authorization request with PKCE, state and nonce; `build` may push it first (buildAuthorizationUrlWithPAR). */
export async function authorizationRequest(
  config: client.Configuration,
  params: Record<string, string> = {},
  build: UrlBuilder = client.buildAuthorizationUrl,
): Promise<AuthorizationRequest> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await build(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url: url.toString(), state, nonce, codeVerifier };
}

export function exchangeCode(config: client.Configuration, callbackUrl: string, request: AuthorizationRequest) {
  return client.authorizationCodeGrant(config, new URL(callbackUrl), {
    pkceCodeVerifier: request.codeVerifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
}

export { client };
