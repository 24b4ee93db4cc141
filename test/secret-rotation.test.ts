import { createHash } from 'node:crypto';
import { CompactEncrypt, decodeProtectedHeader } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { SecretBox, UndecryptableSecretError } from '../src/crypto/secret-box.ts';
import { everySealedColumn } from '../src/crypto/secret-reencryption.ts';
import { createDatabase, type Db } from '../src/db/database.ts';
import { createLogger } from '../src/log.ts';
import { createTestDatabase } from './helpers/database.ts';
import { cliRunner, testSecretsEnv } from './helpers/processes.ts';
import { client, discover } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

const oldSecret = 'the-old-key-encryption-secret-0123456789abcdef';
const newSecret = 'the-new-key-encryption-secret-0123456789abcdef';
const strangerSecret = 'a-secret-that-never-sealed-anything-0123456789';

/** A value as SecretBox sealed it before key ids existed: same key derivation, no `kid` header. */
function sealWithoutKeyId(secret: string, plaintext: string): Promise<string> {
  const key = createHash('sha256').update(`signin-service:secret-box:${secret}`).digest();
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
}

describe('SecretBox key ids', () => {
  it('names its key in every sealed value; a previous secret still opens, never seals', async () => {
    const before = await new SecretBox(oldSecret).seal('client secret');
    const rotated = new SecretBox(newSecret, [oldSecret]);
    expect(await rotated.open(before)).toBe('client secret');
    expect(rotated.isCurrent(before)).toBe(false);

    const after = await rotated.seal('client secret');
    expect(decodeProtectedHeader(after).kid).toEqual(expect.any(String));
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    expect(rotated.isCurrent(after)).toBe(true);
    await expect(new SecretBox(oldSecret).open(after)).rejects.toThrow(UndecryptableSecretError);
    // The key id reveals nothing of the secret.
    expect(JSON.stringify(decodeProtectedHeader(after))).not.toContain('new-key');
  });

  it('opens values sealed before key ids, under the current or a previous secret, and reseals them', async () => {
    const legacy = await sealWithoutKeyId(oldSecret, 'signing key');
    const rotated = new SecretBox(newSecret, [oldSecret]);
    expect(await new SecretBox(oldSecret).open(legacy)).toBe('signing key');
    expect(await rotated.open(legacy)).toBe('signing key');
    const resealed = await rotated.reseal(legacy);
    expect(resealed && rotated.isCurrent(resealed)).toBe(true);
    expect(await new SecretBox(newSecret).open(resealed!)).toBe('signing key');
    expect(await rotated.reseal(resealed!)).toBeUndefined();
  });

  it('refuses, with a clear error, what no configured secret sealed', async () => {
    const sealed = await new SecretBox(strangerSecret).seal('x');
    await expect(new SecretBox(newSecret, [oldSecret]).open(sealed)).rejects.toThrow(/KEY_ENCRYPTION_SECRET_PREVIOUS/);
    await expect(new SecretBox(newSecret, [oldSecret]).open(await sealWithoutKeyId(strangerSecret, 'x'))).rejects.toThrow(UndecryptableSecretError);
    await expect(new SecretBox(newSecret).open('not a sealed value')).rejects.toThrow(UndecryptableSecretError);
  });

  it('reads KEY_ENCRYPTION_SECRET_PREVIOUS as a comma-separated list', () => {
    const config = loadConfig(
      { NODE_ENV: 'test', KEY_ENCRYPTION_SECRET: newSecret, KEY_ENCRYPTION_SECRET_PREVIOUS: `${oldSecret}, ${strangerSecret}` },
      { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS] },
    );
    expect(config.keyEncryptionSecretPrevious).toEqual([oldSecret, strangerSecret]);
    expect(() =>
      loadConfig({ NODE_ENV: 'test', KEY_ENCRYPTION_SECRET: newSecret, KEY_ENCRYPTION_SECRET_PREVIOUS: 'short' }, { cookieSecrets: ['x'.repeat(32)] }),
    ).toThrow(/KEY_ENCRYPTION_SECRET_PREVIOUS must be a comma-separated list/);
  });
});

describe('rotating KEY_ENCRYPTION_SECRET (npm run cli -- secrets reencrypt)', () => {
  let databaseUrl: string;
  let db: Db;
  let env: Record<string, string>;
  const { cli, cliJson } = cliRunner(() => env);
  const withSecrets = (current: string, previous: string[] = []) => ({
    overrides: { keyEncryptionSecret: current, keyEncryptionSecretPrevious: previous },
    databaseUrl,
  });

  /** The key id of every sealed value in the database. */
  async function keyIdsAtRest(): Promise<(string | undefined)[]> {
    const columns = everySealedColumn({ secretBox: new SecretBox(newSecret), federationStates: new SecretBox(newSecret) });
    const ids: (string | undefined)[] = [];
    for (const { table, column } of columns) {
      const rows = await sql<{ sealed: string }>`select ${sql.ref(column)} as sealed from ${sql.table(table)} where ${sql.ref(column)} is not null`.execute(db);
      ids.push(...rows.rows.map((row) => decodeProtectedHeader(row.sealed).kid as string | undefined));
    }
    return ids;
  }

  let clientId: string;
  let clientSecret: string;
  let legacyClientId: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    // Under the old secret: signing keys, a client, a company connection, and a client sealed before key ids.
    const server = await startTestServer(withSecrets(oldSecret));
    try {
      ({ clientId, clientSecret } = (await server.services.oidc.clients.create(server.services.db, {
        name: 'Worker',
        redirectUris: [],
        grantTypes: ['client_credentials'],
      })) as {
        clientId: string;
        clientSecret: string;
      });
      await server.services.federation.connections.insert(server.services.db, {
        id: 'oidc-rotation',
        organizationId: null,
        type: 'oidc',
        name: 'Rotation IdP',
        settings: {},
        secrets: { clientSecret: 'upstream secret' },
      });
      legacyClientId = (
        await server.services.oidc.clients.create(server.services.db, { name: 'Legacy worker', redirectUris: [], grantTypes: ['client_credentials'] })
      ).clientId;
      await sql`update clients set secret_encrypted = ${await sealWithoutKeyId(oldSecret, 'legacy-secret')} where id = ${legacyClientId}`.execute(
        server.services.db,
      );
    } finally {
      await server.close();
    }
    db = createDatabase(databaseUrl, createLogger('silent'), { maxConnections: 2 });
    env = { NODE_ENV: 'test', DATABASE_URL: databaseUrl, COOKIE_SECRETS: testSecretsEnv.COOKIE_SECRETS, KEY_ENCRYPTION_SECRET: newSecret };
  });
  afterAll(() => db?.destroy());

  async function expectClientsWork(server: Awaited<ReturnType<typeof startTestServer>>) {
    expect((await client.clientCredentialsGrant(await discover(server.url, clientId, clientSecret))).access_token).toBeTruthy();
    expect((await client.clientCredentialsGrant(await discover(server.url, legacyClientId, 'legacy-secret'))).access_token).toBeTruthy();
    expect((await server.services.federation.connections.findById('oidc-rotation'))?.secrets).toEqual({ clientSecret: 'upstream secret' });
  }

  it('refuses to start, and rewrites nothing, when no configured secret decrypts', async () => {
    await expect(startTestServer(withSecrets(newSecret))).rejects.toThrow(/cannot be decrypted/);
    const before = await keyIdsAtRest();
    const refused = await cli('secrets', 'reencrypt', '--json');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/cannot be decrypted/);
    expect(await keyIdsAtRest()).toEqual(before);
  });

  it('starts with the new secret and the old one as previous, then reencrypts everything and reports counts', async () => {
    const server = await startTestServer(withSecrets(newSecret, [oldSecret]));
    try {
      await expectClientsWork(server);
      env = { ...env, KEY_ENCRYPTION_SECRET_PREVIOUS: oldSecret };
      const output = await cliJson<{ reencrypted: Record<string, { reencrypted: number; current: number }> }>('secrets', 'reencrypt');
      expect(output.reencrypted.signing_keys).toEqual({ reencrypted: 3, current: 0 });
      expect(output.reencrypted.clients).toEqual({ reencrypted: 2, current: 0 });
      expect(output.reencrypted.federation_connections).toEqual({ reencrypted: 1, current: 0 });
      const currentKid = decodeProtectedHeader(await new SecretBox(newSecret).seal('x')).kid;
      expect(new Set(await keyIdsAtRest())).toEqual(new Set([currentKid]));

      const again = await cliJson<{ reencrypted: Record<string, { reencrypted: number; current: number }> }>('secrets', 'reencrypt');
      expect(again.reencrypted.signing_keys).toEqual({ reencrypted: 0, current: 3 });
    } finally {
      await server.close();
    }
  });

  it('then runs on the new secret alone', async () => {
    const server = await startTestServer(withSecrets(newSecret));
    try {
      await expectClientsWork(server);
    } finally {
      await server.close();
    }
    await expect(startTestServer(withSecrets(oldSecret))).rejects.toThrow(/cannot be decrypted/);
  });
});
