import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

describe('the home page (/)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer();
    await server.services.accounts.service.createAccount({ email: 'ada@example.com', password: 'analytical engine 1843', emailVerified: true });
  });
  afterAll(() => server?.close());

  it('leads to My account, through the sign-in when signed out, straight there when signed in', async () => {
    const agent = new UserAgent();
    const home = await agent.request(`${server.url}/`);
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/account');

    const signInPage = await agent.follow(`${server.url}/`);
    expect(new URL(signInPage.url).pathname).toMatch(/^\/interaction\//);
    const passwordPage = await enterEmail(agent, signInPage, 'ada@example.com');
    const account = await agent.submit(passwordPage, 'form[action*="/password"]', { password: 'analytical engine 1843' });
    expect(new URL(account.url).pathname).toBe('/account');
    expect(account.$('h1').text()).toBe('My account');

    const again = await agent.follow(`${server.url}/`);
    expect(new URL(again.url).pathname).toBe('/account');
    expect(again.$('.account-profile').text()).toMatch(/ada@example\.com/);
  });
});
