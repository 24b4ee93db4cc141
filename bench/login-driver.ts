import { createHash, randomBytes } from 'node:crypto';
import * as cheerio from 'cheerio';
import { basicAuthorization, callbackUrl } from './fixtures.ts';

export interface LoginTarget {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  email: string;
  password: string;
}

export interface LoginStats {
  /** Logins completed, including those still running at the deadline (they used server CPU). */
  completed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** HTTP requests one login took (five for: /auth, sign-in page, POST, /auth resume, /token). */
  requestsPerLogin: number;
  failures: number;
  /** The first failure, to explain a bad run. */
  firstError?: string;
}

const maxRequestsPerLogin = 12;
const randomToken = () => randomBytes(32).toString('base64url');

/** One browser's cookies: name=value pairs, cleared when the server expires them. */
class CookieHeader {
  readonly #cookies = new Map<string, string>();

  store(setCookies: string[]): void {
    for (const setCookie of setCookies) {
      const [pair = ''] = setCookie.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(setCookie) || /max-age=0\b/i.test(setCookie);
      if (!value || expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  toString(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * One complete sign-in as a browser does it, with PKCE: redirects followed by hand (the client's
 * callback is never fetched), each sign-in form filled with its own hidden fields (`_csrf`) plus
 * email and password, and the code redeemed at /token. Filling whatever form comes keeps the
 * driver working if the sign-in becomes two pages (email first, then password).
 */
async function login(target: LoginTarget): Promise<{ requests: number; tokens: IssuedTokens }> {
  const cookies = new CookieHeader();
  let requests = 0;
  const send = async (url: string, form?: Record<string, string>) => {
    requests += 1;
    if (requests > maxRequestsPerLogin) throw new Error(`no callback after ${maxRequestsPerLogin} requests`);
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: cookies.toString(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    cookies.store(response.headers.getSetCookie());
    return { response, body: await response.text() };
  };

  const codeVerifier = randomToken();
  const authorization = new URL('/auth', target.baseUrl);
  authorization.search = new URLSearchParams({
    client_id: target.clientId,
    response_type: 'code',
    redirect_uri: callbackUrl,
    scope: 'openid email',
    state: randomToken(),
    nonce: randomToken(),
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  let url = authorization.toString();
  let { response, body } = await send(url);
  for (;;) {
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location') ?? '', url);
      if (location.toString().startsWith(callbackUrl)) {
        const code = location.searchParams.get('code');
        if (!code) throw new Error(`callback without a code: ${location.search}`);
        const tokens = await redeem(target, code, codeVerifier, () => (requests += 1));
        return { requests, tokens };
      }
      url = location.toString();
      ({ response, body } = await send(url));
      continue;
    }
    if (response.status !== 200) throw new Error(`${response.status} at ${new URL(url).pathname}: ${body.slice(0, 300)}`);
    const { action, fields } = signInForm(body, url, target);
    url = action;
    ({ response, body } = await send(url, fields));
  }
}

function signInForm(html: string, pageUrl: string, target: LoginTarget): { action: string; fields: Record<string, string> } {
  const $ = cheerio.load(html);
  const form = $('form')
    .filter((_, element) => $(element).find('input[name=email], input[name=password]').length > 0)
    .first();
  if (!form.length) throw new Error(`no sign-in form at ${new URL(pageUrl).pathname}: ${$('h1').text() || html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  form.find('input[name]').each((_, element) => {
    const input = $(element);
    const type = input.attr('type');
    if ((type === 'checkbox' || type === 'radio') && input.attr('checked') === undefined) return;
    fields[input.attr('name')!] = input.attr('value') ?? '';
  });
  if ('email' in fields) fields.email = target.email;
  if ('password' in fields) fields.password = target.password;
  return { action: new URL(form.attr('action') ?? pageUrl, pageUrl).toString(), fields };
}

export interface IssuedTokens {
  id_token: string;
  access_token: string;
  refresh_token?: string;
}

async function redeem(target: LoginTarget, code: string, codeVerifier: string, countRequest: () => void): Promise<IssuedTokens> {
  countRequest();
  const response = await fetch(new URL('/token', target.baseUrl), {
    method: 'POST',
    headers: { authorization: basicAuthorization(target.clientId, target.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: codeVerifier }).toString(),
  });
  const tokens = (await response.json()) as Partial<IssuedTokens> & { error?: string };
  if (!response.ok || !tokens.id_token || !tokens.access_token) throw new Error(`code redemption failed: ${response.status} ${tokens.error ?? ''}`);
  return tokens as IssuedTokens;
}

export function percentile(sorted: number[], fraction: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** One login by hand first (a broken journey must fail loudly, not be measured); its tokens, for the token scenarios. */
export async function checkLogin(target: LoginTarget): Promise<IssuedTokens> {
  return (await login(target)).tokens;
}

/** `concurrency` loops signing in back to back for `seconds`; logins still running at the end are not counted. */
export async function driveLogins(target: LoginTarget, options: { seconds: number; concurrency: number }): Promise<LoginStats> {
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const durations: number[] = [];
  let requests = 0;
  let completed = 0;
  let failures = 0;
  let firstError: string | undefined;
  const loop = async () => {
    while (performance.now() < deadline) {
      const begun = performance.now();
      try {
        const { requests: made } = await login(target);
        completed += 1;
        if (performance.now() > deadline) return;
        durations.push(performance.now() - begun);
        requests += made;
      } catch (error) {
        failures += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const elapsedMs = Math.min(performance.now(), deadline) - started;
  durations.sort((a, b) => a - b);
  return {
    completed,
    perSecond: durations.length / (elapsedMs / 1000),
    p50Ms: percentile(durations, 0.5),
    p99Ms: percentile(durations, 0.99),
    requestsPerLogin: durations.length ? requests / durations.length : Number.NaN,
    failures,
    ...(firstError ? { firstError } : {}),
  };
}
