import { expect } from 'vitest';
import { type AuthorizationRequest, authorizationRequest, redirectUri, type TestClient } from './relying-party.ts';
import type { PageResponse, UserAgent } from './user-agent.ts';

export interface StartedInteraction {
  uid: string;
  page: PageResponse;
  request: AuthorizationRequest;
}

/** Follows an authorization request to our first sign-in page and returns the interaction's uid. */
export async function startInteraction(agent: UserAgent, app: TestClient, params: Record<string, string> = {}): Promise<StartedInteraction> {
  const request = await authorizationRequest(app.config, params);
  const page = await agent.follow(request.url, {}, redirectUri);
  expect(page.status, page.body.slice(0, 500)).toBe(200);
  const uid = /\/interaction\/([^/?#]+)/.exec(page.url)?.[1];
  expect(uid, page.url).toBeTruthy();
  return { uid: uid!, page, request };
}

/** GET /interaction/:uid/federated/:connection: returns where our server sends the browser (the IdP). */
export async function beginFederated(agent: UserAgent, baseUrl: string, uid: string, connectionId: string, loginHint?: string): Promise<PageResponse> {
  const query = loginHint ? `?login_hint=${encodeURIComponent(loginHint)}` : '';
  return agent.request(`${baseUrl}/interaction/${uid}/federated/${connectionId}${query}`);
}

/** Posts an IdP's answer to our ACS like the browser would, and returns the 303 towards the interaction. */
export async function postToAcs(agent: UserAgent, form: { acsUrl: string; SAMLResponse: string; RelayState: string }): Promise<PageResponse> {
  return agent.request(form.acsUrl, { form: { SAMLResponse: form.SAMLResponse, RelayState: form.RelayState } });
}

/** Follows a callback's redirect to the resume URL and on, up to the app's redirect_uri or a page. */
export function resume(agent: UserAgent, callbackResponse: PageResponse): Promise<PageResponse> {
  expect(callbackResponse.status, callbackResponse.body.slice(0, 500)).toBe(303);
  const location = new URL(callbackResponse.headers.get('location')!, callbackResponse.url).toString();
  expect(location).toMatch(/\/interaction\/[^/]+\/federated\/resume\?client_id=[\w-]+&callback=/);
  return agent.follow(location, {}, redirectUri);
}

/** Follows an upstream (which signs its user in at once) back to our fixed callback URL, without following that. */
export async function upstreamAnswer(agent: UserAgent, location: string): Promise<URL> {
  let response = await agent.request(location);
  for (let hops = 0; hops < 10 && !response.headers.get('location')?.includes('/federation/'); hops += 1) {
    expect(response.status, response.body.slice(0, 300)).toBeGreaterThanOrEqual(300);
    response = await agent.request(new URL(response.headers.get('location')!, response.url).toString());
  }
  return new URL(response.headers.get('location')!, response.url);
}

/** Clicks a social button of a sign-in page; returns where our server sends the browser (the provider). */
export async function clickSocialButton(agent: UserAgent, page: PageResponse, provider: string, remember = false): Promise<string> {
  const form = page.$('form[action*="/social?"]');
  const click = await agent.request(new URL(form.attr('action')!, page.url).toString(), {
    form: { _csrf: String(form.find('input[name=_csrf]').val()), provider, ...(remember ? { remember: 'on' } : {}) },
  });
  expect(click.status, click.body.slice(0, 500)).toBe(303);
  return click.headers.get('location')!;
}
