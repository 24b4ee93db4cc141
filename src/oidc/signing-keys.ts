import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';

/** RS256 signs by default; ES256 and EdDSA keys exist in every generation so clients can choose them. */
export const signingAlgorithms = ['RS256', 'ES256', 'EdDSA'] as const;

export interface PublishedKeys {
  /** Private JWKs, current generation first: oidc-provider signs with the first key of a matching alg. */
  keys: JWK[];
  /** Changes whenever a key is added or unpublished, so instances notice a rotation cheaply. */
  fingerprint: string;
}

async function generateSigningKey(alg: (typeof signingAlgorithms)[number]) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  return { kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, privateJwk };
}

async function insertGeneration(db: Db, box: SecretBox): Promise<void> {
  const generated = await Promise.all(signingAlgorithms.map(generateSigningKey));
  await db
    .insertInto('signing_keys')
    .values(
      await Promise.all(
        generated.map(async (key) => ({
          kid: key.kid,
          alg: key.alg,
          public_jwk: JSON.stringify(key.publicJwk),
          private_jwk_encrypted: await box.seal(JSON.stringify(key.privateJwk)),
        })),
      ),
    )
    .execute();
}

const lockSigningKeys = (db: Db) => sql`select pg_advisory_xact_lock(hashtext('signing_keys'))`.execute(db);

/** Creates the first generation of keys; instances starting together serialize on an advisory lock. */
export async function ensureSigningKeys(db: Db, box: SecretBox): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockSigningKeys(trx);
    const current = await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst();
    if (!current) await insertGeneration(trx, box);
  });
}

/**
 * Makes a new generation current. The previous keys stay published for `retiredKeyGraceSeconds`
 * (the longest lifetime of anything they signed), so tokens issued before still verify.
 */
export async function rotateSigningKeys(db: Db, box: SecretBox, retiredKeyGraceSeconds: number): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await lockSigningKeys(trx);
    await trx
      .updateTable('signing_keys')
      .set({ retired_at: sql`now()`, unpublish_after: sql`now() + make_interval(secs => ${retiredKeyGraceSeconds})` })
      .where('retired_at', 'is', null)
      .execute();
    await insertGeneration(trx, box);
    const current = await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).execute();
    return current.map((row) => row.kid);
  });
}

export interface SigningKeySummary {
  kid: string;
  alg: string;
  status: 'current' | 'retired';
  createdAt: Date;
  unpublishAfter: Date | null;
}

export async function listSigningKeys(db: Db): Promise<SigningKeySummary[]> {
  const rows = await publishedKeyRows(db).select(['kid', 'alg', 'created_at', 'retired_at', 'unpublish_after']).execute();
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    status: row.retired_at ? 'retired' : 'current',
    createdAt: row.created_at,
    unpublishAfter: row.unpublish_after,
  }));
}

function publishedKeyRows(db: Db) {
  return db
    .selectFrom('signing_keys')
    .where((eb) => eb.or([eb('unpublish_after', 'is', null), eb('unpublish_after', '>', sql<Date>`now()`)]))
    .orderBy(sql`retired_at is null`, 'desc')
    .orderBy('created_at', 'desc');
}

export async function signingKeysFingerprint(db: Db): Promise<string> {
  const rows = await publishedKeyRows(db).select('kid').execute();
  return rows.map((row) => row.kid).join(',');
}

export async function loadPublishedKeys(db: Db, box: SecretBox): Promise<PublishedKeys> {
  const rows = await publishedKeyRows(db).select(['kid', 'private_jwk_encrypted']).execute();
  const keys = await Promise.all(rows.map(async (row) => JSON.parse(await box.open(row.private_jwk_encrypted)) as JWK));
  return { keys, fingerprint: rows.map((row) => row.kid).join(',') };
}
