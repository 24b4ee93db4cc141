import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../src/accounts/password-hasher.ts';
import { loadConfig } from '../src/config.ts';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

/** 200 characters, 229 UTF-8 bytes: far beyond the 72 bytes bcrypt reads by itself. */
const passphrase = `${'Le cœur a ses raisons que la raison ne connaît point ; on le sait en mille choses. '.repeat(3).slice(0, 199)}é`;
const oldPepper = 'long-passphrases-older-pepper-0123456789abcdef';
const newPepper = 'long-passphrases-newer-pepper-0123456789abcdef';

describe('long passphrases (HMAC-SHA-256 under a pepper, then bcrypt)', () => {
  let server: RunningServer;
  let app: TestClient;

  beforeAll(async () => {
    // Rotation in progress: the newer pepper hashes, the older one still verifies.
    server = await startTestServer({ overrides: { passwordPeppers: [newPepper, oldPepper] } });
    app = await registerRelyingParty(server);
  });
  afterAll(() => server?.close());

  /** True when the password signs in through the sign-in pages and the app gets a code. */
  async function signsIn(email: string, password: string): Promise<boolean> {
    const callback = await signInThroughBrowserless(new UserAgent(), (await authorizationRequest(app.config)).url, email, password);
    return callback.url.startsWith(redirectUri) && new URL(callback.url).searchParams.has('code');
  }

  const storedHash = async (email: string) => (await server.services.accounts.repository.findByEmail(email))!.password_hash!;

  it('signs in with a 200-character passphrase; the same with its last character changed does not', async () => {
    expect([...passphrase]).toHaveLength(200);
    expect(Buffer.byteLength(passphrase)).toBeGreaterThan(72);
    await server.services.accounts.service.createAccount({ email: 'blaise@example.com', password: passphrase, emailVerified: true });
    expect(await storedHash('blaise@example.com')).toMatch(/^\$hmac-sha256-bcrypt\$k=[\w-]+\$\$2b\$04\$/);

    expect(await signsIn('blaise@example.com', passphrase)).toBe(true);
    expect(await signsIn('blaise@example.com', `${passphrase.slice(0, -1)}e`)).toBe(false);
    // The first 72 bytes alone (what bcrypt would have compared) are not the password either.
    expect(await signsIn('blaise@example.com', Buffer.from(passphrase).subarray(0, 72).toString())).toBe(false);
  });

  it('signs in with a former-scheme hash (bcrypt of the password) and upgrades it to the peppered scheme', async () => {
    const password = 'ancienne phrase de passe';
    const account = await server.services.accounts.service.createAccount({ email: 'emilie@example.com', emailVerified: true });
    await server.services.accounts.repository.update(server.services.db, account.id, { password_hash: await bcrypt.hash(password, 4) });

    expect(await signsIn('emilie@example.com', `${password}!`)).toBe(false);
    expect(await storedHash('emilie@example.com')).toMatch(/^\$2b\$/);
    expect(await signsIn('emilie@example.com', password)).toBe(true);
    const upgraded = await storedHash('emilie@example.com');
    expect(upgraded).toMatch(/^\$hmac-sha256-bcrypt\$/);
    expect(await bcrypt.compare(password, upgraded.slice(upgraded.indexOf('$2')))).toBe(false);
    expect(await signsIn('emilie@example.com', password)).toBe(true);
  });

  it('upgrades a hash made under an older pepper still listed; a pepper no longer listed verifies nothing', async () => {
    const password = 'sous le pont Mirabeau coule la Seine';
    const account = await server.services.accounts.service.createAccount({ email: 'guillaume@example.com', emailVerified: true });
    const underOldPepper = await new PasswordHasher(4, [oldPepper]).hash(password);
    await server.services.accounts.repository.update(server.services.db, account.id, { password_hash: underOldPepper });

    expect(await signsIn('guillaume@example.com', password)).toBe(true);
    const upgraded = await storedHash('guillaume@example.com');
    expect(upgraded).not.toBe(underOldPepper);
    expect((await new PasswordHasher(4, [newPepper]).verify(password, upgraded)).valid).toBe(true);

    const withoutOldPepper = new PasswordHasher(4, [newPepper]);
    expect(await withoutOldPepper.verify(password, underOldPepper)).toEqual({ valid: false, needsRehash: false });
  });
});

describe('PASSWORD_PEPPERS outside production', () => {
  it('is generated into DATA_DIR/secrets.json, also added to a file written before it existed', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'signin-pepper-'));
    const older = { cookieSecrets: ['older-cookie-secret-0123456789abcdefghijklm'], keyEncryptionSecret: 'older-key-encryption-secret-0123456789abcd' };
    writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify(older));
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject(older);
    expect(config.passwordPeppers).toHaveLength(1);
    expect(config.passwordPeppers[0]!.length).toBeGreaterThanOrEqual(32);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'))).toMatchObject({ ...older, passwordPeppers: config.passwordPeppers });
    expect(loadConfig({ DATA_DIR: dataDir }).passwordPeppers).toEqual(config.passwordPeppers);
  });
});
