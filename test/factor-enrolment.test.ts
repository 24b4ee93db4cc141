import { describe, expect, it } from 'vitest';
import { acrValues } from '../src/factors/assurance.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { serverWithMailAndApp } from './helpers/mail-server.ts';
import { exchangeCode, redirectUri } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const password = 'correct horse battery staple';

describe('members led to set up a second factor at sign-in', () => {
  const fixture = serverWithMailAndApp();
  let accountSeq = 0;

  const services = () => fixture.withMail.server.services;

  /** A member without a factor of an organization requiring MFA since now. */
  async function member(requirement: { phishingResistant?: boolean; graceDays: number }) {
    const email = `member${++accountSeq}@enrol.test`;
    const account = await services().accounts.service.createAccount({ email, password, emailVerified: true });
    const { db, orgs, factors } = services();
    const org = await orgs.organizationService.create({ name: `Enrol ${accountSeq}`, domains: [], verifiedByOperator: false });
    await db.insertInto('organization_members').values({ organization_id: org.id, account_id: account.id }).execute();
    const change = { requireMfa: true, phishingResistant: requirement.phishingResistant ?? false, graceDays: requirement.graceDays };
    await db.transaction().execute((trx) => factors.policies.set(trx, org.id, change, new Date()));
    return { ...account, email };
  }

  /** Email and password on a new browser, up to the page that follows (or the app's callback). */
  async function signIn(email: string) {
    const agent = new UserAgent();
    const started = await startInteraction(agent, fixture.app);
    const passwordPage = await enterEmail(agent, started.page, email);
    const next = await agent.submit(passwordPage, 'form[action*="/password"]', { password }, redirectUri);
    return { agent, started, next };
  }

  async function claimsAt(end: PageResponse, request: Awaited<ReturnType<typeof startInteraction>>['request']) {
    expect(end.url.startsWith(redirectUri), end.body.slice(0, 800)).toBe(true);
    return (await exchangeCode(fixture.app.config, end.url, request)).claims()!;
  }

  const laterForm = 'form[action*="/enrol-later"]';
  const totpForm = 'form[action*="/enrol-totp"]';

  it('within the grace period, "Later" goes on to the app; setting up the app there makes the sign-in two factors', async () => {
    const account = await member({ graceDays: 7 });
    const first = await signIn(account.email);
    expect(first.next.status).toBe(200);
    expect(first.next.$('h1').text()).toBe('Add a second step to your sign-in');
    expect(first.next.$('form[data-passkey-register]').length).toBe(1);
    expect(first.next.$('#code').attr('autocomplete')).toBe('one-time-code');
    expect(first.next.$('main').text()).toMatch(/You can do this later, until/);
    const postponed = await first.agent.submit(first.next, laterForm, {}, redirectUri);
    expect(await claimsAt(postponed, first.started.request)).toMatchObject({ sub: account.id, amr: ['pwd'] });

    // "Later" lasts one sign-in: the next one asks again.
    const second = await signIn(account.email);
    const secret = second.next.$('code.totp-key').text().replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const wrong = await second.agent.submit(second.next, totpForm, { code: totpCodeAt(secret, new Date(Date.now() - 600_000)) });
    expect(wrong.status).toBe(400);
    expect(wrong.$('.field-error').text()).toMatch(/not right/);
    const enrolled = await second.agent.submit(wrong, totpForm, { code: totpCodeAt(secret, new Date()) });
    expect(enrolled.$('h1').text()).toBe('Your authenticator app is set up');
    expect(enrolled.$('ul.recovery-codes code')).toHaveLength(10);
    // A reload shows the page again without the codes: they were shown once.
    const reloaded = await second.agent.follow(second.next.url);
    expect(reloaded.$('ul.recovery-codes').length).toBe(0);
    const end = await second.agent.submit(reloaded, 'form[action*="/enrol-continue"]', {}, redirectUri);
    expect(await claimsAt(end, second.started.request)).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: acrValues[1] });
    expect((await services().factors.service.summary(account.id)).totp).toBeDefined();
    expect((await fixture.withMail.sink.waitFor(account.email)).subject).toMatch(/added/i);
  });

  it('after the grace period there is no "Later": the factor must be set up to go on', async () => {
    const account = await member({ graceDays: 0 });
    const { agent, next } = await signIn(account.email);
    expect(next.$('h1').text()).toBe('Add a second step to your sign-in');
    expect(next.$(laterForm).length).toBe(0);
    const action = next.url.replace(/\?/, '/enrol-later?');
    const refused = await agent.follow(action, { form: { _csrf: next.$('input[name=_csrf]').first().val() as string } });
    expect(refused.status).toBe(400);
    expect((await services().factors.service.summary(account.id)).hasSecondFactor).toBe(false);
  });

  it('a phishing-resistant requirement offers only a passkey', async () => {
    const account = await member({ phishingResistant: true, graceDays: 0 });
    const { agent, next } = await signIn(account.email);
    expect(next.$('form[data-passkey-register]').length).toBe(1);
    expect(next.$(totpForm).length).toBe(0);
    expect(next.$('code.totp-key').length).toBe(0);
    const action = next.url.replace(/\?/, '/enrol-totp?');
    const refused = await agent.follow(action, { form: { _csrf: next.$('input[name=_csrf]').first().val() as string, code: '123456' } });
    expect(refused.status).toBe(400);
  });
});
