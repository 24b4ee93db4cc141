import * as cheerio from 'cheerio';
import { CookieJar } from 'tough-cookie';

export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  setCookies: string[];
  $: cheerio.CheerioAPI;
}

/**
 * A minimal browser for HTTP-level journeys: a real cookie jar, redirects followed one by one
 * (so tests can stop at the app's redirect_uri), and HTML forms read with cheerio.
 */
export class UserAgent {
  readonly jar = new CookieJar();
  readonly headers: Record<string, string>;

  constructor(headers: Record<string, string> = {}) {
    // What a browser sends on navigation: oidc-provider answers errors as HTML only when asked for it.
    this.headers = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', ...headers };
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    const setCookies = response.headers.getSetCookie();
    for (const setCookie of setCookies) await this.jar.setCookie(setCookie, url, { ignoreError: true });
    const text = await response.text();
    return { status: response.status, url, headers: response.headers, body: text, setCookies, $: cheerio.load(text) };
  }

  /** Follows redirects until a page is reached, or until a URL starting with `stopAt` (the app's callback). */
  async follow(url: string, init: Parameters<UserAgent['request']>[1] = {}, stopAt?: string): Promise<PageResponse> {
    let response = await this.request(url, init);
    for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops += 1) {
      const location = new URL(response.headers.get('location')!, response.url).toString();
      if (stopAt && location.startsWith(stopAt)) return { ...response, url: location };
      response = await this.request(location);
      response = { ...response, url: location };
    }
    return response;
  }

  /** Submits the form matching `selector` on a page, with the given fields added to its own. */
  async submit(page: PageResponse, selector: string, fields: Record<string, string>, stopAt?: string): Promise<PageResponse> {
    const form = page.$(selector).first();
    if (!form.length) throw new Error(`no form ${selector} on ${page.url}:\n${page.body.slice(0, 2000)}`);
    const values: Record<string, string> = {};
    form.find('input[name]').each((_, input) => {
      const element = page.$(input);
      const type = element.attr('type');
      if ((type === 'checkbox' || type === 'radio') && element.attr('checked') === undefined) return;
      values[element.attr('name')!] = element.attr('value') ?? '';
    });
    const action = new URL(form.attr('action') ?? page.url, page.url).toString();
    return this.follow(action, { form: { ...values, ...fields } }, stopAt);
  }
}
