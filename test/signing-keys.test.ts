import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSigningKeys, rotateSigningKeys, type SigningKeySummary } from '../src/oidc/signing-keys.ts';
import { authorizationRequest, exchangeCode, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { publishedKids, travelInTime } from './helpers/signing-keys.ts';
import { startTestServer, testSecrets } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'margaret@example.com';
const password = 'apollo guidance 1969';
const projectRoot = path.resolve(import.meta.dirname, '..');

interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  private_jwk_encrypted: string;
  retired_at: Date | null;
}

describe('signing keys', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let app: TestClient;

  const keyRows = async () =>
    (await sql<KeyRow>`select kid, alg, public_jwk, private_jwk_encrypted, retired_at from signing_keys order by created_at`.execute(server.services.db)).rows;
  const currentKid = async (alg: string) => (await keyRows()).find((row) => row.alg === alg && !row.retired_at)!.kid;
  const publishedKidsNow = () => publishedKids(server.url);
  const idToken = async () => {
    const request = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(new UserAgent(), request.url, email, password);
    return (await exchangeCode(app.config, callback.url, request)).id_token!;
  };
  // A fresh key set each time, like an app that has not cached the JWKS yet.
  const verifyAgainstJwks = (token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL('/jwks', server.url)), { issuer: server.services.config.issuer, audience: app.clientId });
  const statuses = (keys: SigningKeySummary[]) =>
    Object.fromEntries(Object.entries(Object.groupBy(keys, (key) => key.status)).map(([status, group]) => [status, group!.length]));
  const waitUntilPublished = (expected: (kids: string[]) => boolean, what: string) =>
    until(async () => {
      const kids = await publishedKidsNow();
      return expected(kids) ? kids : undefined;
    }, what);

  beforeAll(async () => {
    server = await startTestServer({ overrides: { keyRefreshSeconds: 1 } });
    app = await registerRelyingParty(server);
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(() => server?.close());

  it('creates one current key per algorithm on first start, private parts encrypted at rest', async () => {
    const rows = await keyRows();
    expect(rows.map((row) => row.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const row of rows) {
      expect(row.retired_at).toBeNull();
      expect(row.public_jwk).not.toHaveProperty('d');
      // Compact JWE (dir, A256GCM): five parts, and no JWK member visible inside.
      expect(row.private_jwk_encrypted.split('.')).toHaveLength(5);
      expect(row.private_jwk_encrypted).not.toMatch(/"d"|"kty"|"kid"/);
      expect(JSON.parse(await server.services.secretBox.open(row.private_jwk_encrypted))).toHaveProperty('d');
    }

    const jwks = (await (await fetch(new URL('/jwks', server.url))).json()) as { keys: JWK[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual(rows.map((row) => row.kid).sort());
    for (const key of jwks.keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
  });

  it('rotates without restart: the new keys are published first, then sign; old tokens verify until unpublished', async () => {
    const before = await idToken();
    const oldKid = decodeProtectedHeader(before).kid!;
    expect(oldKid).toBe(await currentKid('RS256'));

    const next = await rotateSigningKeys(server.services.db, server.services.secretBox, { activationDelaySeconds: 600, retiredKeyGraceSeconds: 3600 });
    const newKid = await currentKid('RS256');
    expect(next).toContain(newKid);
    expect(newKid).not.toBe(oldKid);

    // The running server publishes the next generation (by polling), but keeps signing with the old one.
    const published = await waitUntilPublished((kids) => kids.includes(newKid), 'the new key to be published');
    expect(published).toContain(oldKid);
    expect(published).toHaveLength(6);
    expect(decodeProtectedHeader(await idToken()).kid).toBe(oldKid);
    expect(statuses(await listSigningKeys(server.services.db))).toEqual({ current: 3, next: 3 });

    // Once the activation time has passed, new tokens carry the new kid; the old tokens still verify.
    await travelInTime(server.services.db, 600);
    const after = await until(async () => {
      const token = await idToken();
      return decodeProtectedHeader(token).kid === newKid ? token : undefined;
    }, 'tokens signed with the new key');
    await verifyAgainstJwks(after);
    await verifyAgainstJwks(before);
    expect(await publishedKidsNow()).toContain(oldKid);
    expect(statuses(await listSigningKeys(server.services.db))).toEqual({ current: 3, retired: 3 });

    // Once the grace period is over the retired keys are unpublished, and their tokens stop verifying.
    await travelInTime(server.services.db, 3600);
    const remaining = await waitUntilPublished((kids) => !kids.includes(oldKid), 'the retired key to be unpublished');
    expect(remaining).toHaveLength(3);
    expect(remaining).toContain(newKid);
    await expect(verifyAgainstJwks(before)).rejects.toThrow();
    await verifyAgainstJwks(after);
  });

  it('rotates through the CLI (npm run cli -- keys rotate) while the server runs', async () => {
    const previousKid = await currentKid('RS256');
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'cli', '--', 'keys', 'rotate', '--json'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: server.databaseUrl,
        COOKIE_SECRETS: testSecrets.cookieSecrets.join(','),
        KEY_ENCRYPTION_SECRET: testSecrets.keyEncryptionSecret,
        PASSWORD_PEPPERS: testSecrets.passwordPeppers.join(','),
        KEY_REFRESH_INTERVAL: '1',
      },
    });
    const { next } = JSON.parse(stdout) as { next: string[] };
    const newKid = await currentKid('RS256');
    expect(next).toHaveLength(3);
    expect(next).toContain(newKid);
    expect(newKid).not.toBe(previousKid);

    // Signing switches two key refreshes (2 s here) after the rotation, with both generations published.
    await until(async () => (decodeProtectedHeader(await idToken()).kid === newKid ? true : undefined), 'tokens signed with the key rotated by the CLI');
    expect(await publishedKidsNow()).toEqual(expect.arrayContaining([previousKid, newKid]));

    // The retired generation stays published for the configured grace period after it stops signing.
    const timing = (
      await sql<{ delay: number; grace: number }>`
        select extract(epoch from old.retired_at - new.created_at)::int as delay, extract(epoch from old.unpublish_after - old.retired_at)::int as grace
        from signing_keys old, signing_keys new where old.kid = ${previousKid} and new.kid = ${newKid}`.execute(server.services.db)
    ).rows[0]!;
    const { ttl } = server.services.config;
    expect(timing).toEqual({ delay: 2, grace: Math.max(ttl.idTokenSeconds, ttl.accessTokenSeconds, ttl.clientCredentialsSeconds) + 300 });
  });
});
