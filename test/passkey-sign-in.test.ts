import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrValues } from '../src/factors/assurance.ts';
import { accountFactorPolicy } from '../src/journey/account-factor-policy.ts';
import type { JourneyFactorPolicy } from '../src/journey/flow.ts';
import type { RunningServer } from '../src/server.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { registerRelyingParty } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

/**
 * What a passkey sign-in still needs, and what bad posts get. Chromium refuses a passkey without user verification where
 * no account is named (the email page), so that case is checked here, at the journey's policy.
 */
describe('a passkey as the way in', () => {
  let server: RunningServer;
  let policy: JourneyFactorPolicy;
  let accountSeq = 0;

  beforeAll(async () => {
    server = await startTestServer();
    policy = accountFactorPolicy(server.services.factors.policy, { newDeviceCheck: false, enrolment: server.services.factors.enrolment });
  });
  afterAll(() => server?.close());

  async function accountWithPasskey() {
    const email = `key${++accountSeq}@passkeys.test`;
    const account = await server.services.accounts.service.createAccount({ email, password: 'a long passphrase 42', emailVerified: true });
    await server.services.db
      .insertInto('passkeys')
      .values({
        credential_id: `credential-${accountSeq}`,
        account_id: account.id,
        public_key: Buffer.from('not checked here'),
        counter: 0,
        transports: ['internal'],
        device_type: 'singleDevice',
        backed_up: false,
        name: 'Laptop',
      })
      .execute();
    return { id: account.id, email };
  }

  const attempt = (account: { id: string; email: string }, amr: string[]) => ({
    account,
    method: { kind: 'passkey' as const, amr, remember: undefined },
    clientId: 'app',
    acrValues: undefined,
    deviceToken: undefined,
  });

  it('with user verification is two factors, phishing-resistant', async () => {
    const account = await accountWithPasskey();
    expect(await policy.decide(attempt(account, ['hwk', 'user']))).toEqual({ kind: 'complete', acr: acrValues[2], amr: ['hwk', 'user', 'mfa'] });
  });

  it('without user verification is one factor: the password is asked as the second, keeping the passkey', async () => {
    const account = await accountWithPasskey();
    const decision = await policy.decide(attempt(account, ['hwk']));
    expect(decision).toMatchObject({
      kind: 'step',
      step: { step: 'password', email: account.email, after: { accountId: account.id, method: { amr: ['hwk'] } } },
    });
    // Once the password is passed (password.step.ts adds pwd to the kept method), the sign-in is complete.
    expect(await policy.decide(attempt(account, ['hwk', 'pwd']))).toMatchObject({ kind: 'complete', acr: acrValues[2] });
  });

  it('a passkey post that is unreadable or names no known passkey gets a 400 page, never a 500', async () => {
    const agent = new UserAgent();
    const { page } = await startInteraction(agent, await registerRelyingParty(server));
    const form = page.$('form[data-passkey-sign-in]');
    const csrf = String(form.find('input[name=_csrf]').val());
    const options = await agent.request(new URL(form.attr('data-options')!, page.url).toString(), { form: { _csrf: csrf } });
    expect(options.status).toBe(200);
    const { challengeId } = JSON.parse(options.body) as { challengeId: string };
    const post = (response: string) => agent.submit(page, 'form[data-passkey-sign-in]', { challengeId, response });
    expect((await post('{not json')).status).toBe(400);
    const unknown = await post(JSON.stringify({ id: 'no-such-credential', rawId: 'x', type: 'public-key', response: {} }));
    expect(unknown.status).toBe(400);
    expect(unknown.$('.field-error').text()).toMatch(/passkey was not recognised/);
  });
});
