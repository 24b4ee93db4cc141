import * as cheerio from 'cheerio';
import type { AuthorizationRequest } from './relying-party.ts';
import { redirectUri } from './relying-party.ts';
import type { PageResponse, UserAgent } from './user-agent.ts';

/** Every status answered during a journey, and how long the slowest answer took. */
export class AnswerLog {
  readonly statuses = new Map<number, number>();
  slowestMs = 0;
  /** 503s without a Retry-After header. */
  unavailableWithoutRetryAfter = 0;

  note(status: number, elapsedMs: number, headers: Headers): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.slowestMs = Math.max(this.slowestMs, elapsedMs);
    if (status === 503 && !headers.get('retry-after')) this.unavailableWithoutRetryAfter += 1;
  }

  count(predicate: (status: number) => boolean): number {
    return [...this.statuses].filter(([status]) => predicate(status)).reduce((sum, [, count]) => sum + count, 0);
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PatienceOptions {
  log: AnswerLog;
  /** How many 503s in a row before giving up. */
  attempts?: number;
  retryDelayMs?: number;
  /** The answers worth trying again (default: 503); a soak behind a proxy adds its 502s. */
  transient?: (status: number) => boolean;
}

const serviceUnavailable = (status: number) => status === 503;

type RequestInit = Parameters<UserAgent['request']>[1];

/**
 * A person during an outage: a request answered 503 is made again a moment later (reload, or the
 * same form sent again), redirects are followed, until a page, or the app's callback, is reached.
 */
export async function followPatiently(agent: UserAgent, url: string, init: RequestInit, options: PatienceOptions): Promise<PageResponse> {
  let next: { url: string; init: RequestInit } = { url, init };
  for (let unavailable = 0, hops = 0; hops < 30; ) {
    const started = Date.now();
    const response = { ...(await agent.request(next.url, next.init)), url: next.url };
    options.log.note(response.status, Date.now() - started, response.headers);
    if ((options.transient ?? serviceUnavailable)(response.status)) {
      unavailable += 1;
      if (unavailable >= (options.attempts ?? 60)) return response;
      await pause(options.retryDelayMs ?? 250);
      continue;
    }
    unavailable = 0;
    if (response.status < 300 || response.status >= 400) return response;
    const location = new URL(response.headers.get('location')!, next.url).toString();
    if (location.startsWith(redirectUri)) return { ...response, url: location };
    next = { url: location, init: {} };
    hops += 1;
  }
  throw new Error(`too many redirects from ${url}`);
}

/** The request that submitting a form of `page` makes, with `fields` added to the form's own. */
export function formSubmission(page: PageResponse, selector: string, fields: Record<string, string>): { url: string; init: RequestInit } {
  const $ = cheerio.load(page.body);
  const form = $(selector).first();
  if (!form.length) throw new Error(`no form ${selector} on ${page.url} (${page.status}):\n${page.body.slice(0, 1000)}`);
  const values: Record<string, string> = {};
  form.find('input[name]').each((_, input) => {
    const type = $(input).attr('type');
    if ((type === 'checkbox' || type === 'radio') && $(input).attr('checked') === undefined) return;
    values[$(input).attr('name')!] = $(input).attr('value') ?? '';
  });
  return { url: new URL(form.attr('action') ?? page.url, page.url).toString(), init: { form: { ...values, ...fields } } };
}

/** A whole sign-in (identifier, password) made patiently; returns the app's callback URL. */
export async function signInPatiently(
  agent: UserAgent,
  request: AuthorizationRequest,
  email: string,
  password: string,
  options: PatienceOptions,
): Promise<string> {
  const first = await followPatiently(agent, request.url, {}, options);
  let page = first;
  if (first.$('form[action*="/identifier"]').length) {
    const identifier = formSubmission(first, 'form[action*="/identifier"]', { email });
    page = await followPatiently(agent, identifier.url, identifier.init, options);
  }
  const passwordForm = formSubmission(page, 'form[action*="/password"]', { password });
  const callback = await followPatiently(agent, passwordForm.url, passwordForm.init, options);
  if (!callback.url.startsWith(redirectUri))
    throw new Error(`sign-in did not reach the app (${callback.status} at ${callback.url}): ${callback.$('main').text().replace(/\s+/g, ' ').trim()}`);
  return callback.url;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A confidential client's POST to the token endpoint (client_secret_basic), answered as it comes. */
export async function tokenRequest(
  tokenEndpoint: string,
  clientId: string,
  clientSecret: string,
  params: Record<string, string>,
  log?: AnswerLog,
): Promise<TokenAnswer> {
  const started = Date.now();
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  log?.note(response.status, Date.now() - started, response.headers);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { unparsed: text.slice(0, 200) };
  }
  return { status: response.status, body, headers: response.headers };
}

/** Retries a token request while it answers 503; the last answer. */
export async function tokenRequestPatiently(
  send: () => Promise<TokenAnswer>,
  attempts = 60,
  retryDelayMs = 250,
  transient: (status: number) => boolean = serviceUnavailable,
): Promise<TokenAnswer> {
  for (let attempt = 1; ; attempt += 1) {
    const answer = await send();
    if (!transient(answer.status) || attempt >= attempts) return answer;
    await pause(retryDelayMs);
  }
}
