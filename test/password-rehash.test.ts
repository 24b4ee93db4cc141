import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../src/accounts/account.service.ts';
import { PasswordHasher } from '../src/accounts/password-hasher.ts';
import type { RunningServer } from '../src/server.ts';
import { authorizationRequest, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

describe('raising BCRYPT_COST', () => {
  let server: RunningServer;
  let app: TestClient;
  const email = 'grace@example.com';
  const password = 'compiler 1952 flow-matic';
  /** The bcrypt part of a stored `$hmac-sha256-bcrypt$k=…$<bcrypt>` hash. */
  const bcryptPart = (stored: string) => stored.slice(stored.indexOf('$2'));

  beforeAll(async () => {
    server = await startTestServer({ overrides: { bcryptCost: 5 } });
    app = await registerRelyingParty(server);
    // The account was created while the configured cost was still 4.
    const before = new AccountService(server.services.db, server.services.accounts.repository, new PasswordHasher(4, server.services.config.passwordPeppers));
    await before.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('upgrades a stored hash to the configured cost when its owner signs in', async () => {
    const stored = await server.services.accounts.repository.findByEmail(email);
    expect(bcrypt.getRounds(bcryptPart(stored!.password_hash!))).toBe(4);

    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    expect(new URL(callback.url).searchParams.get('code')).toBeTruthy();

    const upgraded = (await server.services.accounts.repository.findByEmail(email))!.password_hash!;
    expect(bcrypt.getRounds(bcryptPart(upgraded))).toBe(5);
    expect((await server.services.accounts.hasher.verify(password, upgraded)).valid).toBe(true);
  });
});
