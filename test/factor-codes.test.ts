import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TooManyAttemptsError } from '../src/abuse/attempt-limiter.ts';
import { loadConfig } from '../src/config.ts';
import { createDatabase, type Db } from '../src/db/database.ts';
import { acrValues, levelOfAmr, requestedLevel, withMfa } from '../src/factors/assurance.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import { createLogger } from '../src/log.ts';
import { createServices, type Services } from '../src/services.ts';
import { createTestDatabase } from './helpers/database.ts';
import { testSecrets } from './helpers/test-server.ts';

// After every real timestamp the rows get (accounts record password_changed_at with the real time).
const start = new Date('2036-01-01T00:00:00.000Z');
const seconds = (n: number) => new Date(start.getTime() + n * 1000);

describe('second-factor codes (fake clock)', () => {
  let db: Db;
  let services: Services;
  let now = start;
  let accountSeq = 0;

  const newAccount = () =>
    services.accounts.service.createAccount({ email: `person${++accountSeq}@example.com`, password: 'correct horse battery', emailVerified: true });

  /** Enrols an authenticator app at `now`; returns the account and its base32 secret. */
  const withTotp = async () => {
    const account = await newAccount();
    const enrolment = (await services.factors.service.beginTotp(account.id, account.email))!;
    const result = await services.factors.service.confirmTotp(account.id, totpCodeAt(enrolment.secret, now));
    expect(result.confirmed).toBe(true);
    return { account, secret: enrolment.secret, recoveryCodes: result.recoveryCodes! };
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test' }, { ...testSecrets, databaseUrl, dataDir: mkdtempSync(path.join(tmpdir(), 'factor-codes-')) });
    db = createDatabase(databaseUrl, createLogger('silent'), { maxConnections: 30 });
    services = createServices(config, db);
    services.factors.clock.now = () => now;
  });
  afterAll(() => db?.destroy());
  beforeEach(() => {
    now = start;
  });

  describe('authenticator app (TOTP)', () => {
    it('stores the secret encrypted and offers an otpauth URI with SHA-1, 6 digits, 30 s', async () => {
      const account = await newAccount();
      const enrolment = (await services.factors.service.beginTotp(account.id, account.email))!;
      expect(enrolment.uri).toMatch(/^otpauth:\/\/totp\//);
      expect(enrolment.uri).toContain('algorithm=SHA1');
      expect(enrolment.uri).toContain('digits=6');
      expect(enrolment.uri).toContain('period=30');
      expect(enrolment.qrSvg).toMatch(/^<svg/);
      const row = await db.selectFrom('totp_authenticators').selectAll().where('account_id', '=', account.id).executeTakeFirstOrThrow();
      expect(row.secret_encrypted).not.toContain(enrolment.secret);
      expect(row.confirmed_at).toBeNull();
      // Not a factor until confirmed.
      expect((await services.factors.service.summary(account.id)).hasSecondFactor).toBe(false);
      expect(await services.factors.service.verifyTotp(account.id, totpCodeAt(enrolment.secret, now))).toBe(false);
    });

    it('refuses a wrong enrolment code, and the confirming code cannot be used again to sign in', async () => {
      const account = await newAccount();
      const enrolment = (await services.factors.service.beginTotp(account.id, account.email))!;
      expect((await services.factors.service.confirmTotp(account.id, '000000')).confirmed).toBe(totpCodeAt(enrolment.secret, now) === '000000');
      const code = totpCodeAt(enrolment.secret, now);
      const result = await services.factors.service.confirmTotp(account.id, code);
      expect(result.confirmed).toBe(true);
      expect(result.recoveryCodes).toHaveLength(10);
      expect(await services.factors.service.verifyTotp(account.id, code)).toBe(false);
      now = seconds(30);
      expect(await services.factors.service.verifyTotp(account.id, totpCodeAt(enrolment.secret, now))).toBe(true);
    });

    it('accepts one step of drift either way, not two', async () => {
      const { account, secret } = await withTotp();
      now = seconds(300);
      expect(await services.factors.service.verifyTotp(account.id, totpCodeAt(secret, seconds(300 - 30)))).toBe(true);
      now = seconds(600);
      expect(await services.factors.service.verifyTotp(account.id, totpCodeAt(secret, seconds(600 + 30)))).toBe(true);
      now = seconds(900);
      expect(await services.factors.service.verifyTotp(account.id, totpCodeAt(secret, seconds(900 - 60)))).toBe(false);
      expect(await services.factors.service.verifyTotp(account.id, totpCodeAt(secret, seconds(900 + 60)))).toBe(false);
    });

    it('uses each code once, refuses an earlier step after a later one, and of parallel tries one wins', async () => {
      const { account, secret } = await withTotp();
      now = seconds(120);
      const code = totpCodeAt(secret, now);
      const results = await Promise.all(Array.from({ length: 10 }, () => services.factors.service.verifyTotp(account.id, code)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await services.factors.service.verifyTotp(account.id, code)).toBe(false);
      // The code of the step before (within drift) is older than the one used: refused too.
      expect(await services.factors.service.verifyTotp(account.id, totpCodeAt(secret, seconds(90)))).toBe(false);
    });

    it('refuses a second enrolment while one is confirmed', async () => {
      const { account } = await withTotp();
      expect(await services.factors.service.beginTotp(account.id, account.email)).toBeUndefined();
    });
  });

  describe('recovery codes', () => {
    it('gives 10 codes stored hashed; each works once, whatever the typing', async () => {
      const { account, recoveryCodes } = await withTotp();
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);
      const stored = await db.selectFrom('recovery_codes').select('code_hash').where('account_id', '=', account.id).execute();
      for (const code of recoveryCodes) expect(stored.map((row) => row.code_hash)).not.toContain(code);
      expect(await services.factors.service.useRecoveryCode(account.id, ` ${recoveryCodes[0]!.toUpperCase().replace('-', ' ')} `)).toBe(true);
      expect(await services.factors.service.useRecoveryCode(account.id, recoveryCodes[0]!)).toBe(false);
      expect((await services.factors.service.summary(account.id)).recoveryCodesLeft).toBe(9);
    });

    it('twenty parallel tries of one code: exactly one succeeds', async () => {
      const { account, recoveryCodes } = await withTotp();
      const results = await Promise.all(Array.from({ length: 20 }, () => services.factors.service.useRecoveryCode(account.id, recoveryCodes[3]!)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('a new set voids the old one; a code of another account does nothing', async () => {
      const first = await withTotp();
      const second = await withTotp();
      expect(await services.factors.service.useRecoveryCode(second.account.id, first.recoveryCodes[0]!)).toBe(false);
      const fresh = await services.factors.service.newRecoveryCodes(first.account.id);
      expect(await services.factors.service.useRecoveryCode(first.account.id, first.recoveryCodes[1]!)).toBe(false);
      expect(await services.factors.service.useRecoveryCode(first.account.id, fresh[0]!)).toBe(true);
    });

    it('go when the last factor goes', async () => {
      const { account } = await withTotp();
      await db.transaction().execute((trx) => services.factors.service.removeTotp(trx, account.id));
      const summary = await services.factors.service.summary(account.id);
      expect(summary).toMatchObject({ hasSecondFactor: false, recoveryCodesLeft: 0 });
    });
  });

  describe('new-device code and device trust', () => {
    it('mails a 6-digit code valid 10 minutes, 5 tries, the newest only', async () => {
      const account = await newAccount();
      const code = await services.factors.devices.issueCode(account.id, 'device-a');
      expect(code).toMatch(/^\d{6}$/);
      const wrong = code === '000000' ? '111111' : '000000';
      expect(await services.factors.devices.tryCode(account.id, 'device-b', code)).toBeUndefined();
      for (let i = 0; i < 4; i++) expect(await services.factors.devices.tryCode(account.id, 'device-a', wrong)).toBe(false);
      expect(await services.factors.devices.tryCode(account.id, 'device-a', code)).toBe(true);
      expect(await services.factors.devices.tryCode(account.id, 'device-a', code)).toBeUndefined();

      const tired = await services.factors.devices.issueCode(account.id, 'device-a');
      for (let i = 0; i < 5; i++) await services.factors.devices.tryCode(account.id, 'device-a', tired === '000000' ? '111111' : '000000');
      expect(await services.factors.devices.tryCode(account.id, 'device-a', tired)).toBeUndefined();

      const old = await services.factors.devices.issueCode(account.id, 'device-a');
      const newest = await services.factors.devices.issueCode(account.id, 'device-a');
      if (old !== newest) expect(await services.factors.devices.tryCode(account.id, 'device-a', old)).toBe(false);
      expect(await services.factors.devices.tryCode(account.id, 'device-a', newest)).toBe(true);

      const late = await services.factors.devices.issueCode(account.id, 'device-a');
      now = seconds(10 * 60 + 1);
      expect(await services.factors.devices.tryCode(account.id, 'device-a', late)).toBeUndefined();
    });

    it('trusts a device for 30 days, until the password or a factor changes or trust is revoked', async () => {
      const account = await newAccount();
      expect(await services.factors.devices.standing(account.id, 'browser')).toEqual({ known: false, trusted: false });
      await db.transaction().execute((trx) => services.factors.devices.remember(trx, account.id, 'browser', 'Firefox', true));
      expect(await services.factors.devices.standing(account.id, 'browser')).toEqual({ known: true, trusted: true });
      expect(await services.factors.devices.standing(account.id, 'other-browser')).toEqual({ known: false, trusted: false });
      now = seconds(30 * 24 * 3600 - 1);
      expect((await services.factors.devices.standing(account.id, 'browser')).trusted).toBe(true);
      now = seconds(30 * 24 * 3600 + 1);
      expect(await services.factors.devices.standing(account.id, 'browser')).toEqual({ known: true, trusted: false });

      now = start;
      await db.transaction().execute((trx) => services.factors.devices.remember(trx, account.id, 'browser', 'Firefox', true));
      now = seconds(60);
      await services.accounts.repository.update(services.db, account.id, { password_changed_at: now });
      expect(await services.factors.devices.standing(account.id, 'browser')).toEqual({ known: false, trusted: false });

      now = seconds(120);
      await db.transaction().execute((trx) => services.factors.devices.remember(trx, account.id, 'browser', 'Firefox', true));
      now = seconds(180);
      await services.factors.service.newRecoveryCodes(account.id);
      expect((await services.factors.devices.standing(account.id, 'browser')).trusted).toBe(false);

      now = seconds(240);
      await db.transaction().execute((trx) => services.factors.devices.remember(trx, account.id, 'browser', 'Firefox', true));
      now = seconds(300);
      await db.transaction().execute((trx) => services.factors.devices.revokeAll(trx, account.id));
      expect((await services.factors.devices.standing(account.id, 'browser')).trusted).toBe(false);
    });
  });

  describe('factor policy', () => {
    it('asks an account with a factor for it, unless the device is trusted; a required level is never skipped', async () => {
      const { account } = await withTotp();
      const attempt = { accountId: account.id, method: 'password' as const, amr: ['pwd'], deviceToken: 'laptop' };
      expect(await services.factors.policy.decide(attempt)).toEqual({ next: 'factor', methods: ['totp', 'recovery_code'], level: 2 });
      expect(await services.factors.policy.decide({ ...attempt, amr: ['pwd', 'otp'] })).toEqual({
        next: 'done',
        amr: ['pwd', 'otp', 'mfa'],
        acr: acrValues[1],
      });
      now = seconds(1);
      await db.transaction().execute((trx) => services.factors.devices.remember(trx, account.id, 'laptop', 'Firefox', true));
      now = seconds(2);
      expect(await services.factors.policy.decide(attempt)).toEqual({ next: 'done', amr: ['pwd'], acr: acrValues[0] });
      expect(await services.factors.policy.decide({ ...attempt, requestedLevel: 2 })).toMatchObject({ next: 'factor' });
      expect(await services.factors.policy.decide({ ...attempt, requestedLevel: 3 })).toEqual({ next: 'unmet' });
    });

    it('asks an account without a factor for a mailed code on a new device only', async () => {
      const account = await newAccount();
      const attempt = { accountId: account.id, method: 'password' as const, amr: ['pwd'], deviceToken: 'phone' };
      expect(await services.factors.policy.decide(attempt)).toEqual({ next: 'device_code' });
      expect(await services.factors.policy.decide({ ...attempt, method: 'signup' })).toMatchObject({ next: 'done' });
      await db.transaction().execute((trx) => services.factors.devices.remember(trx, account.id, 'phone', 'Safari', false));
      expect(await services.factors.policy.decide(attempt)).toMatchObject({ next: 'done' });
      expect(await services.factors.policy.decide({ ...attempt, requestedLevel: 2 })).toEqual({ next: 'unmet' });
    });

    it('counts an upstream MFA only from a connection trusting it', async () => {
      const { account } = await withTotp();
      await db.insertInto('federation_connections').values({ id: 'corp-oidc', type: 'oidc', name: 'Corp', settings: '{}', organization_id: null }).execute();
      const attempt = {
        accountId: account.id,
        method: 'federated' as const,
        amr: ['fed'],
        deviceToken: undefined,
        upstream: { connectionId: 'corp-oidc', amr: ['mfa', 'pwd'] },
      };
      expect(await services.factors.policy.decide(attempt)).toMatchObject({ next: 'factor' });
      await db.transaction().execute((trx) => services.factors.policies.setUpstreamTrust(trx, 'corp-oidc', { amr: ['mfa'], acr: [] }));
      expect(await services.factors.policy.decide(attempt)).toEqual({ next: 'done', amr: ['fed', 'mfa'], acr: acrValues[1] });
      expect(await services.factors.policy.decide({ ...attempt, upstream: { connectionId: 'corp-oidc', amr: ['pwd'] } })).toMatchObject({ next: 'factor' });
    });

    it("leads an organization's members to enrol, with a grace period they may postpone within", async () => {
      const account = await newAccount();
      const org = await services.orgs.organizationService.create({ name: `Org ${accountSeq}`, domains: [], verifiedByOperator: false });
      await db.insertInto('organization_members').values({ organization_id: org.id, account_id: account.id }).execute();
      await db.transaction().execute((trx) => services.factors.policies.set(trx, org.id, { requireMfa: true, phishingResistant: false, graceDays: 7 }, now));
      const attempt = { accountId: account.id, method: 'password' as const, amr: ['pwd'], deviceToken: 'x' };
      expect(await services.factors.policy.decide(attempt)).toEqual({ next: 'enrol', phishingResistant: false, deadline: seconds(7 * 24 * 3600) });
      expect(await services.factors.policy.decide({ ...attempt, enrolmentPostponed: true })).toEqual({ next: 'device_code' });
      now = seconds(7 * 24 * 3600 + 1);
      expect(await services.factors.policy.decide({ ...attempt, enrolmentPostponed: true })).toEqual({
        next: 'enrol',
        phishingResistant: false,
        deadline: undefined,
      });
    });
  });

  describe('confirmation attempts', () => {
    it('counts wrong codes per account with a wait and Retry-After, never a permanent lockout', async () => {
      const { account, secret } = await withTotp();
      const ip = '203.0.113.9';
      for (let i = 0; i < 10; i++) expect(await services.factors.confirmation.confirm(account.id, ip, { kind: 'totp', code: '12345x' })).toBeUndefined();
      const blocked = await services.factors.confirmation
        .confirm(account.id, '198.51.100.1', { kind: 'totp', code: totpCodeAt(secret, seconds(30)) })
        .catch((error) => error);
      expect(blocked).toBeInstanceOf(TooManyAttemptsError);
      expect(Number((blocked as TooManyAttemptsError).headers['Retry-After'])).toBeGreaterThan(0);
      expect(Number((blocked as TooManyAttemptsError).headers['Retry-After'])).toBeLessThanOrEqual(900);
    });
  });

  it('maps amr to levels (RFC 8176 values) and acr_values to the lowest level asked', () => {
    expect(levelOfAmr(['pwd'])).toBe(1);
    expect(levelOfAmr(['pwd', 'otp'])).toBe(2);
    expect(levelOfAmr(['swk', 'user'])).toBe(3);
    expect(levelOfAmr(['hwk'])).toBe(1);
    expect(levelOfAmr(['fed', 'mfa'])).toBe(2);
    expect(withMfa(['pwd', 'hwk'])).toEqual(['pwd', 'hwk', 'mfa']);
    expect(requestedLevel(`${acrValues[2]} ${acrValues[1]}`)).toBe(2);
    expect(requestedLevel('unknown')).toBeUndefined();
  });
});
