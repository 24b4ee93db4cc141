import autocannon from 'autocannon';
import { decodeProtectedHeader } from 'jose';
import { type BenchResourceServer, basicAuthorization } from './fixtures.ts';

export interface TokenTarget {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  resourceServer: BenchResourceServer;
}

export interface LoadResult {
  /** Responses received, to divide the server's CPU time by. */
  completed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 200, plus connection errors: a run with failures is not a result. */
  failures: number;
}

/** One request autocannon repeats as it is. */
export interface FixedRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

function tokenRequest(target: TokenTarget): FixedRequest {
  return {
    url: `${target.baseUrl}/token`,
    method: 'POST' as const,
    headers: {
      authorization: basicAuthorization(target.clientId, target.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: target.resourceServer.identifier, scope: 'read' }).toString(),
  };
}

/** One request by hand first: the load only counts if it really yields JWTs signed with the expected alg. */
export async function checkTokenEndpoint(target: TokenTarget): Promise<void> {
  const { url, headers, body } = tokenRequest(target);
  const response = await fetch(url, { method: 'POST', headers, body });
  const json = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !json.access_token)
    throw new Error(`token request to ${url} failed: ${response.status} ${json.error ?? ''} ${json.error_description ?? ''}`);
  const { alg } = decodeProtectedHeader(json.access_token);
  if (alg !== target.resourceServer.alg) throw new Error(`expected an ${target.resourceServer.alg} access token, got ${alg}`);
}

/**
 * client_credentials requests over keep-alive connections for `seconds`: as fast as the server
 * answers, or at a fixed offered `rate` (latency then measured against the intended schedule).
 */
export function loadTokenEndpoint(target: TokenTarget, options: LoadOptions): Promise<LoadResult> {
  return loadEndpoint(tokenRequest(target), options);
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  rate?: number;
}

/** The same request over keep-alive connections (see loadTokenEndpoint). */
export async function loadEndpoint(request: FixedRequest, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    ...request,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
  });
  return {
    completed: result['2xx'] + result.non2xx,
    perSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors,
  };
}

/** Token introspection (RFC 7662) by the client the token was issued to (the policy allows no other), of a token that stays active. */
export function introspectionRequest(baseUrl: string, client: { clientId: string; clientSecret: string }, token: string): FixedRequest {
  return {
    url: `${baseUrl}/token/introspection`,
    method: 'POST',
    headers: { authorization: basicAuthorization(client.clientId, client.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  };
}

/** One introspection by hand first: the load only counts if the token is seen as active. */
export async function checkIntrospection(request: FixedRequest): Promise<void> {
  const response = await fetch(request.url, request);
  const json = (await response.json()) as { active?: boolean; error?: string };
  if (!response.ok || json.active !== true) throw new Error(`introspection failed: ${response.status} ${json.error ?? `active: ${json.active}`}`);
}
