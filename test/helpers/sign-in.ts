import { expect } from 'vitest';
import type { PageResponse, UserAgent } from './user-agent.ts';
import { redirectUri } from './relying-party.ts';

/** Walks the sign-in pages from an authorization URL to the app's callback; returns the callback response. */
export async function signInThroughBrowserless(agent: UserAgent, authorizationUrl: string, email: string, password: string, extra: Record<string, string> = {}): Promise<PageResponse> {
  const loginPage = await agent.follow(authorizationUrl, {}, redirectUri);
  expect(loginPage.status, loginPage.body.slice(0, 500)).toBe(200);
  const afterLogin = await agent.submit(loginPage, 'form[action$="/login"]', { email, password, ...extra }, redirectUri);
  return afterLogin;
}
