import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/factors/totp.ts';
import { type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'a long passphrase 42';

describe('My account: ways to confirm it is you', () => {
  let withMail: ServerWithMail;
  let accountSeq = 0;
  const server = () => withMail.server;

  beforeAll(async () => {
    withMail = await startServerWithMail();
  });
  afterAll(() => withMail?.close());

  const pathOf = (page: PageResponse) => new URL(page.url).pathname;

  async function newAccount() {
    const email = `holder${++accountSeq}@factors.test`;
    return server().services.accounts.service.createAccount({ email, password, emailVerified: true });
  }

  /** Signs in through /account (the ordinary sign-in), then opens the factors page. */
  async function factorsPage(agent: UserAgent, email: string): Promise<PageResponse> {
    const first = await agent.follow(`${server().url}/account`);
    const passwordPage = await enterEmail(agent, first, email);
    const account = await agent.submit(passwordPage, 'form[action*="/password"]', { password });
    expect(pathOf(account), account.body.slice(0, 500)).toBe('/account');
    return agent.follow(`${server().url}/account/factors`);
  }

  /** Confirms with the password (no factor yet), sets up an authenticator app; returns its secret and recovery codes. */
  async function enrolAuthenticator(agent: UserAgent, page: PageResponse) {
    expect(page.$('form[action="/account/factors/totp"]').length).toBe(0);
    expect(page.$('#secret').attr('autocomplete')).toBe('current-password');
    const confirmed = await agent.submit(page, 'form[action="/account/factors/confirm"]', { secret: password });
    const enrolment = await agent.submit(confirmed, 'form[action="/account/factors/totp"]', {});
    expect(enrolment.$('figure.qr-code svg').length).toBe(1);
    expect(enrolment.$('#code').attr('autocomplete')).toBe('one-time-code');
    const secret = enrolment.$('code.totp-key').text().replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const wrong = await agent.submit(enrolment, 'form[action="/account/factors/totp/confirm"]', { code: totpCodeAt(secret, new Date(Date.now() - 600_000)) });
    expect(wrong.status).toBe(400);
    const codesPage = await agent.submit(wrong, 'form[action="/account/factors/totp/confirm"]', { code: totpCodeAt(secret, new Date()) });
    expect(codesPage.headers.get('cache-control')).toBe('no-store');
    const recoveryCodes = codesPage
      .$('ul.recovery-codes code')
      .map((_, element) => codesPage.$(element).text())
      .get();
    expect(recoveryCodes).toHaveLength(10);
    return { secret, recoveryCodes };
  }

  it('sets up an authenticator app after a fresh confirmation, shows recovery codes once, sends a notice, and asks for the app at the next sign-in', async () => {
    const account = await newAccount();
    const agent = new UserAgent();
    const { secret } = await enrolAuthenticator(agent, await factorsPage(agent, account.email));
    const notice = await withMail.sink.waitFor(account.email);
    expect(notice.subject).toBe("A way to confirm it's you was added");
    expect(notice.links.some((link) => new URL(link).pathname === '/not-me')).toBe(true);

    const listed = await agent.follow(`${server().url}/account/factors`);
    expect(listed.$('.account-methods').text()).toMatch(/Added on/);
    expect(listed.$('.account-methods').text()).toMatch(/10 left/);

    // Next sign-in (another browser): the app is asked for.
    const other = new UserAgent();
    const first = await other.follow(`${server().url}/account`);
    const passwordPage = await enterEmail(other, first, account.email);
    const confirm = await other.submit(passwordPage, 'form[action*="/password"]', { password });
    expect(confirm.$('h1').text()).toBe("Confirm it's you");
    const signedIn = await other.submit(confirm, 'form[action*="/confirm?"]', { code: totpCodeAt(secret, new Date(Date.now() + 30_000)) });
    expect(pathOf(signedIn)).toBe('/account');
  });

  it('refuses a change without a confirmation of this session in the last 5 minutes, and asks the strongest factor', async () => {
    const account = await newAccount();
    const agent = new UserAgent();
    const { secret } = await enrolAuthenticator(agent, await factorsPage(agent, account.email));
    const clock = server().services.factors.clock;
    const realNow = clock.now;
    try {
      clock.now = () => new Date(Date.now() + 6 * 60 * 1000);
      const page = await agent.follow(`${server().url}/account/factors`);
      // The app is now the strongest factor: the password no longer confirms.
      expect(page.$('#secret').attr('autocomplete')).toBe('one-time-code');
      const csrf = String(page.$('input[name=_csrf]').val());
      const refused = await agent.request(`${server().url}/account/factors/totp/remove`, { form: { _csrf: csrf } });
      expect(refused.status).toBe(303);
      expect(refused.headers.get('location')).toBe('/account/factors?notice=confirm_first');
      expect((await server().services.factors.service.summary(account.id)).totp).toBeDefined();
      const withPassword = await agent.submit(page, 'form[action="/account/factors/confirm"]', { secret: password });
      expect(withPassword.status).toBe(400);

      const confirmed = await agent.submit(page, 'form[action="/account/factors/confirm"]', { secret: totpCodeAt(secret, clock.now()) });
      const removed = await agent.submit(confirmed, 'form[action="/account/factors/totp/remove"]', {});
      expect(removed.$('[role=status]').text()).toMatch(/removed/);
      const summary = await server().services.factors.service.summary(account.id);
      expect(summary.totp).toBeUndefined();
      expect(summary.recoveryCodesLeft).toBe(0);
    } finally {
      clock.now = realNow;
    }
  });

  it("keeps the last factor under an organization's MFA requirement", async () => {
    const account = await newAccount();
    const agent = new UserAgent();
    const page = await factorsPage(agent, account.email);
    const { services } = server();
    const org = await services.orgs.organizationService.create({ name: `Org ${accountSeq}`, domains: [], verifiedByOperator: false });
    await services.db.insertInto('organization_members').values({ organization_id: org.id, account_id: account.id }).execute();
    await enrolAuthenticator(agent, page);
    await services.db
      .transaction()
      .execute((trx) => services.factors.policies.set(trx, org.id, { requireMfa: true, phishingResistant: false, graceDays: 0 }, new Date()));
    const listed = await agent.follow(`${server().url}/account/factors`);
    const kept = await agent.submit(listed, 'form[action="/account/factors/totp/remove"]', {});
    expect(kept.$('[role=status]').text()).toMatch(/requires a second factor/);
    expect((await services.factors.service.summary(account.id)).totp).toBeDefined();
  });
});
