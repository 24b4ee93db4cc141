import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, discover, redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const windowSeconds = 3;
const rateLimits = {
  login: { perAccountAndIp: { points: 3, durationSeconds: windowSeconds }, perIp: { points: 6, durationSeconds: windowSeconds } },
  forgotPassword: { perEmail: { points: 2, durationSeconds: 60 }, perIp: { points: 6, durationSeconds: 60 } },
  signUp: { perEmail: { points: 2, durationSeconds: 60 }, perIp: { points: 4, durationSeconds: 60 } },
};

describe('rate limits shared by two instances through PostgreSQL', () => {
  let first: RunningServer & { databaseUrl: string };
  let second: RunningServer & { databaseUrl: string };
  const apps = new Map<RunningServer, Awaited<ReturnType<typeof discover>>>();

  beforeAll(async () => {
    first = await startTestServer({ overrides: { rateLimits } });
    second = await startTestServer({ databaseUrl: first.databaseUrl, overrides: { rateLimits } });
    const registered = await registerRelyingParty(first);
    apps.set(first, registered.config);
    apps.set(second, await discover(second.url, registered.clientId, registered.clientSecret));
    await first.services.accounts.service.createAccount({ email: 'ada@example.com', password: 'analytical engine 1843', emailVerified: true });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });
  beforeEach(async () => {
    await sql`delete from rate_limits`.execute(first.services.db);
  });

  /** One password attempt on the sign-in pages of the given instance: the email step, then the password step. */
  async function signIn(server: RunningServer, email: string, password: string): Promise<PageResponse> {
    return signInThroughBrowserless(new UserAgent(), (await authorizationRequest(apps.get(server)!)).url, email, password);
  }

  /** 429 with Retry-After, and a message saying when to try again (on the page `messageSelector` finds). */
  function expectTooManyAttempts(page: PageResponse, maxSeconds: number, messageSelector = '[role=alert]'): void {
    expect(page.status).toBe(429);
    const retryAfter = Number(page.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
    expect(page.$(messageSelector).text().trim()).toMatch(/^Too many attempts\. .* try again in \d+ min\.$/);
  }

  /** A refused password attempt stays on the password page of the same sign-in, the wait tied to the password field. */
  function expectPasswordAttemptsBlocked(page: PageResponse, maxSeconds: number): void {
    expectTooManyAttempts(page, maxSeconds, '#password-error');
    expect(page.$('form[action*="/password"] #password').attr('aria-describedby')).toBe('password-error');
  }

  const wrongPasswordMessage = (page: PageResponse) => page.$('#password-error').text();

  it('slows password guessing per account and IP across instances, then lets the real user back in', async () => {
    for (const server of [first, second, first]) {
      const page = await signIn(server, 'ada@example.com', 'wrong guess');
      expect(page.status).toBe(400);
      expect(wrongPasswordMessage(page)).toBe('Incorrect email or password.');
    }
    expectPasswordAttemptsBlocked(await signIn(second, 'ada@example.com', 'wrong guess'), windowSeconds);
    // Even the right password waits: the limit is checked before the password.
    expectPasswordAttemptsBlocked(await signIn(first, 'ada@example.com', 'analytical engine 1843'), windowSeconds);

    // Short window, no permanent lockout.
    await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000 + 200));
    const callback = await signIn(second, 'ada@example.com', 'analytical engine 1843');
    expect(callback.url.startsWith(redirectUri)).toBe(true);
  });

  /** A page without what differs between two sign-ins anyway: the email, the interaction id, the CSRF token. */
  function comparable(page: PageResponse, email: string): string {
    const uid = /\/interaction\/([^/?]+)/.exec(page.url)![1]!;
    return page.body
      .replaceAll(uid, 'UID')
      .replaceAll(encodeURIComponent(email), 'EMAIL')
      .replaceAll(email, 'EMAIL')
      .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf"');
  }

  it('treats an unknown email exactly like a wrong password', async () => {
    const unknown = await signIn(first, 'nobody@example.com', 'wrong guess');
    const wrongPassword = await signIn(first, 'ada@example.com', 'wrong guess');
    expect(unknown.status).toBe(wrongPassword.status);
    expect(comparable(unknown, 'nobody@example.com')).toBe(comparable(wrongPassword, 'ada@example.com'));
    for (const server of [second, first]) {
      const page = await signIn(server, 'nobody@example.com', 'wrong guess');
      expect(page.status).toBe(400);
      expect(wrongPasswordMessage(page)).toBe('Incorrect email or password.');
    }
    expectPasswordAttemptsBlocked(await signIn(second, 'nobody@example.com', 'wrong guess'), windowSeconds);
  });

  it('counts only failures: a successful sign-in gives the attempts back', async () => {
    await signIn(first, 'ada@example.com', 'wrong guess');
    await signIn(second, 'ada@example.com', 'wrong guess');
    expect((await signIn(first, 'ada@example.com', 'analytical engine 1843')).url.startsWith(redirectUri)).toBe(true);
    for (const server of [second, first, second]) expect((await signIn(server, 'ada@example.com', 'wrong guess')).status).toBe(400);
  });

  it('limits password attempts per IP across accounts', async () => {
    for (let index = 0; index < 6; index += 1) {
      expect((await signIn(index % 2 ? second : first, `spray${index}@example.com`, 'Summer2024!')).status).toBe(400);
    }
    expectPasswordAttemptsBlocked(await signIn(first, 'spray-next@example.com', 'Summer2024!'), windowSeconds);
  });

  it('limits forgot-password requests per email, whether or not it has an account, and per IP', async () => {
    const requestReset = async (server: RunningServer, email: string) => {
      const agent = new UserAgent();
      return agent.submit(await agent.follow(`${server.url}/forgot-password`), 'form[action="/forgot-password"]', { email });
    };
    for (const email of ['ada@example.com', 'nobody@example.com']) {
      expect((await requestReset(first, email)).status).toBe(200);
      expect((await requestReset(second, email)).status).toBe(200);
      expectTooManyAttempts(await requestReset(first, email), 60);
    }
    // Six requests from this IP so far (refused ones count too): the seventh is over the limit.
    expectTooManyAttempts(await requestReset(second, 'third@example.com'), 60);
  });

  it('limits sign-ups per email across instances', async () => {
    const signUp = async (server: RunningServer, email: string) => {
      const agent = new UserAgent();
      return agent.submit(await agent.follow(`${server.url}/signup`), 'form[action="/signup"]', {
        name: 'Eve',
        email,
        password: 'a perfectly fine passphrase',
      });
    };
    expect((await signUp(first, 'eve@example.com')).status).toBe(200);
    expect((await signUp(second, 'eve@example.com')).status).toBe(200);
    expectTooManyAttempts(await signUp(first, 'eve@example.com'), 60);
  });
});
