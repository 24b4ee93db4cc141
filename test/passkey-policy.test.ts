import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrValues } from '../src/factors/assurance.ts';
import { accountFactorPolicy } from '../src/journey/account-factor-policy.ts';
import type { JourneyFactorPolicy } from '../src/journey/flow.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers/test-server.ts';

/**
 * What a passkey sign-in still needs. Chromium refuses a passkey without user verification where
 * no account is named (the email page), so this case is checked here, at the journey's policy.
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
});
