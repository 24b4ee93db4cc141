import { Resolver, lookup as systemLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { AppError } from '../http/errors.ts';

/**
 * How documents an organization admin points us at (SAML metadata, OIDC discovery) may be fetched.
 * `allowInsecure` (development and tests only) lets http and loopback/private addresses through.
 */
export interface UpstreamFetchPolicy {
  allowInsecure: boolean;
  /** DNS servers to resolve names with (host or host:port); empty: the system's resolver. */
  dnsServers: readonly string[];
  timeoutMs?: number;
  maxBytes?: number;
}

const defaultTimeoutMs = 10_000;
const defaultMaxBytes = 1024 * 1024;
const absentCodes = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

const refused = (message: string) => new AppError('federation.upstream_url_refused', 400, { message: `The URL is refused: ${message}` });

/** Only public unicast addresses: loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast... are not. */
function isPublicAddress(address: string): boolean {
  return ipaddr.process(address).range() === 'unicast';
}

async function resolveAll(hostname: string, dnsServers: readonly string[]): Promise<string[]> {
  if (dnsServers.length === 0) return (await systemLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([...dnsServers]);
  const family = async (resolve: () => Promise<string[]>) => {
    try {
      return await resolve();
    } catch (error) {
      if (absentCodes.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  };
  const [v4, v6] = await Promise.all([family(() => resolver.resolve4(hostname)), family(() => resolver.resolve6(hostname))]);
  return [...v4, ...v6];
}

/** The host without an IPv6 literal's brackets. */
const bareHostname = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/**
 * The one address the fetch connects to: resolved once here, checked, and pinned for the
 * connection (its `lookup`), so a second resolution (DNS rebinding) can never pick another one.
 */
async function pinnedAddress(url: URL, policy: UpstreamFetchPolicy): Promise<string> {
  return checkedAddress(bareHostname(url), policy);
}

/** The first address of a host, refused unless every one is public (or insecure upstreams are allowed). */
async function checkedAddress(hostname: string, policy: UpstreamFetchPolicy): Promise<string> {
  let addresses: string[];
  if (ipaddr.isValid(hostname)) addresses = [hostname];
  else {
    try {
      addresses = await resolveAll(hostname, policy.dnsServers);
    } catch (error) {
      throw unreachable(`cannot resolve ${hostname}`, error);
    }
  }
  if (addresses.length === 0) throw unreachable(`${hostname} does not resolve`);
  const forbidden = addresses.find((address) => !isPublicAddress(address));
  if (forbidden && !policy.allowInsecure) throw refused(`${hostname} resolves to ${forbidden}, which is not a public address`);
  return addresses[0]!;
}

/** A `lookup` that answers one address, whichever form (one address or all) the socket asks for. */
function pinTo(address: string): LookupFunction {
  const family = ipaddr.parse(address).kind() === 'ipv6' ? 6 : 4;
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function refuseInsecureScheme(url: URL, policy: UpstreamFetchPolicy): void {
  if (url.protocol !== 'https:' && !(policy.allowInsecure && url.protocol === 'http:')) throw refused('it must use https');
}

function unreachable(message: string, cause?: unknown): AppError {
  // Shown: the admin who gave the URL needs to know it did not answer (the page names no address).
  return new AppError('federation.upstream_document_unreachable', 502, { message: `Could not fetch the document: ${message}`, expose: true, cause });
}

/**
 * GETs a document at a URL someone outside our operators chose, without letting it reach our own
 * network: https only, public addresses only, the address pinned, no redirects, a size and a time limit.
 */
export async function fetchUpstreamDocument(rawUrl: string, policy: UpstreamFetchPolicy): Promise<string> {
  const url = URL.canParse(rawUrl) ? new URL(rawUrl) : undefined;
  if (!url) throw refused('not an absolute URL');
  refuseInsecureScheme(url, policy);
  if (url.username || url.password) throw refused('it must not carry credentials');
  const address = await pinnedAddress(url, policy);
  const lookup = pinTo(address);
  const maxBytes = policy.maxBytes ?? defaultMaxBytes;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<string>((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'GET',
        lookup,
        headers: { accept: 'application/samlmetadata+xml, application/xml, application/json;q=0.9, */*;q=0.1' },
        signal: AbortSignal.timeout(policy.timeoutMs ?? defaultTimeoutMs),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.destroy();
          return reject(refused(`it redirects (HTTP ${status}); give the final URL`));
        }
        if (status !== 200) {
          response.destroy();
          return reject(unreachable(`HTTP ${status}`));
        }
        if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
          response.destroy();
          return reject(refused(`the document is larger than ${maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            response.destroy();
            reject(refused(`the document is larger than ${maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', (error) => reject(unreachable(error.message, error)));
      },
    );
    outgoing.on('error', (error) => reject(unreachable(error.name === 'AbortError' || error.name === 'TimeoutError' ? 'timed out' : error.message, error)));
    outgoing.end();
  });
}

/**
 * A `fetch` for openid-client (its `customFetch`) with the same address rules, for the requests a
 * sign-in makes to an upstream: discovery, token, userinfo and JWKS endpoints are named by a
 * discovery document an organization admin controls. The address is resolved and checked in the
 * connection's own `lookup`, so the address checked is the address connected to; redirects are
 * never followed.
 */
export function pinnedUpstreamFetch(policy: UpstreamFetchPolicy): (url: string, options: object) => Promise<Response> {
  const dispatcher = new Agent({
    connect: {
      lookup: (hostname, options, callback) => {
        checkedAddress(hostname, policy).then(
          (address) => pinTo(address)(hostname, options, callback),
          (error: Error) => callback(error, '', 0),
        );
      },
    },
  });
  return async (rawUrl, options) => {
    const url = new URL(rawUrl);
    refuseInsecureScheme(url, policy);
    // An address literal is never looked up: it is checked here.
    if (ipaddr.isValid(bareHostname(url))) await pinnedAddress(url, policy);
    try {
      return (await undiciFetch(url, { ...options, redirect: 'manual', dispatcher })) as unknown as Response;
    } catch (error) {
      // fetch reports a refused lookup as "fetch failed": the refusal itself says why.
      const cause = (error as { cause?: unknown }).cause;
      throw cause instanceof AppError ? cause : error;
    }
  };
}
