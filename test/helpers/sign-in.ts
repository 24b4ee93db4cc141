import { expect } from 'vitest';
import { redirectUri } from './relying-party.ts';
import type { PageResponse, UserAgent } from './user-agent.ts';

/** Submits the email on the identifier page (unless a login_hint skipped it); returns the password page. */
export async function enterEmail(agent: UserAgent, page: PageResponse, email: string): Promise<PageResponse> {
  if (!page.$('form[action*="/identifier"]').length) return page;
  const passwordPage = await agent.submit(page, 'form[action*="/identifier"]', { email });
  expect(passwordPage.status, passwordPage.body.slice(0, 500)).toBe(200);
  return passwordPage;
}

/**
 * Walks the sign-in pages from an authorization URL to the app's callback (identifier, then
 * password; `extra` adds fields such as remember=on to the password form); returns the callback.
 */
export async function signInThroughBrowserless(
  agent: UserAgent,
  authorizationUrl: string,
  email: string,
  password: string,
  extra: Record<string, string> = {},
): Promise<PageResponse> {
  const firstPage = await agent.follow(authorizationUrl, {}, redirectUri);
  expect(firstPage.status, firstPage.body.slice(0, 500)).toBe(200);
  const passwordPage = await enterEmail(agent, firstPage, email);
  return agent.submit(passwordPage, 'form[action*="/password"]', { password, ...extra }, redirectUri);
}
