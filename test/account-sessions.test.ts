import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/factors/totp.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'correct horse battery staple';

describe('My account: trusted devices and sessions', () => {
  let withMail: ServerWithMail;
  let app: TestClient;
  let accountSeq = 0;

  beforeAll(async () => {
    withMail = await startServerWithMail();
    app = await registerRelyingParty(withMail.server);
  });
  afterAll(() => withMail?.close());

  const services = () => withMail.server.services;
  const url = (path: string) => `${withMail.server.url}${path}`;

  async function newAccount() {
    const email = `traveller${++accountSeq}@sessions.test`;
    const account = await services().accounts.service.createAccount({ email, password, emailVerified: true });
    return { ...account, email };
  }

  /** An account with an authenticator app, enrolled with the previous step's code (the current one stays unused). */
  async function withAuthenticator() {
    const account = await newAccount();
    const enrolment = (await services().factors.service.beginTotp(account.id, account.email))!;
    expect((await services().factors.service.confirmTotp(account.id, totpCodeAt(enrolment.secret, new Date(Date.now() - 30_000)))).confirmed).toBe(true);
    return { account, secret: enrolment.secret };
  }

  /** Email and password through the app's sign-in, up to the page that follows (or the app's callback). */
  async function signIn(agent: UserAgent, email: string, params: Record<string, string> = {}): Promise<PageResponse> {
    const started = await startInteraction(agent, app, params);
    const passwordPage = await enterEmail(agent, started.page, email);
    return agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
  }

  const confirm = (agent: UserAgent, page: PageResponse, code: string, extra: Record<string, string> = {}) =>
    agent.submit(page, 'form[action*="/confirm?"]', { code, ...extra }, redirectUri);

  it('ends device trust on "sign out everywhere": the trusted browser is asked for the factor again', async () => {
    const { account, secret } = await withAuthenticator();
    const laptop = new UserAgent();
    const asked = await signIn(laptop, account.email);
    expect(asked.$('h1').text()).toBe("Confirm it's you");
    expect((await confirm(laptop, asked, totpCodeAt(secret, new Date()), { trust: 'on' })).url.startsWith(redirectUri)).toBe(true);
    // Trusted: the next sign-in on this browser is not asked.
    expect((await signIn(laptop, account.email, { prompt: 'login' })).url.startsWith(redirectUri)).toBe(true);

    const confirmation = await laptop.follow(url('/account/sign-out-everywhere'));
    await laptop.submit(confirmation, 'form[action="/account/sign-out-everywhere"]', {});
    const again = await signIn(laptop, account.email);
    expect(again.$('h1').text()).toBe("Confirm it's you");
  });
});
