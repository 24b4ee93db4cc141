import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';

/** RS256 signs by default; ES256 and EdDSA keys exist in every generation so clients can choose them. */
export const signingAlgorithms = ['RS256', 'ES256', 'EdDSA'] as const;

export interface PublishedKeys {
  /** Private JWKs, the signing generation first: oidc-provider signs with the first key of a matching alg. */
  keys: JWK[];
  /** Changes whenever a key is added, activated or unpublished, so instances notice a rotation cheaply. */
  fingerprint: string;
}

async function generateSigningKey(alg: (typeof signingAlgorithms)[number]) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  return { kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, privateJwk };
}

async function insertGeneration(db: Db, box: SecretBox, activationDelaySeconds: number): Promise<void> {
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
          activates_at: sql<Date>`now() + make_interval(secs => ${activationDelaySeconds})`,
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
    if (!current) await insertGeneration(trx, box, 0);
  });
}

export interface RotationPolicy {
  /** How long the new generation is published before it signs: the time every instance needs to reload its keys. */
  activationDelaySeconds: number;
  /** How long the previous keys stay published once they stop signing: the longest lifetime of anything they signed. */
  retiredKeyGraceSeconds: number;
}

/**
 * Adds the next generation and returns its kids. It is published at once but signs only after the
 * activation delay, so that no instance issues a token that another instance's JWKS cannot verify
 * yet; the previous keys sign until then and stay published for the grace period after.
 */
export async function rotateSigningKeys(db: Db, box: SecretBox, policy: RotationPolicy): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await lockSigningKeys(trx);
    return addGeneration(trx, box, policy);
  });
}

async function addGeneration(trx: Db, box: SecretBox, policy: RotationPolicy): Promise<string[]> {
  const activation = sql<Date>`now() + make_interval(secs => ${policy.activationDelaySeconds})`;
  await trx
    .updateTable('signing_keys')
    .set({ retired_at: activation, unpublish_after: sql`${activation} + make_interval(secs => ${policy.retiredKeyGraceSeconds})` })
    .where('retired_at', 'is', null)
    .execute();
  await insertGeneration(trx, box, policy.activationDelaySeconds);
  const next = await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).execute();
  return next.map((row) => row.kid);
}

/**
 * The automatic schedule (KEY_ROTATION_DAYS): rotates when the newest generation is older than
 * `rotationDays`, and returns the new kids, else undefined. Every instance may call it: the check
 * runs under the same advisory lock as the rotation, so a period gets one rotation.
 */
export async function rotateSigningKeysIfDue(db: Db, box: SecretBox, policy: RotationPolicy, rotationDays: number): Promise<string[] | undefined> {
  if (rotationDays <= 0) return undefined;
  return db.transaction().execute(async (trx) => {
    await lockSigningKeys(trx);
    const newest = await trx
      .selectFrom('signing_keys')
      .select(sql<boolean>`max(created_at) < now() - make_interval(secs => ${rotationDays * 86_400})`.as('due'))
      .executeTakeFirst();
    return newest?.due ? addGeneration(trx, box, policy) : undefined;
  });
}

export interface SigningKeySummary {
  kid: string;
  alg: string;
  /** next: published, signs from activatesAt; current: signs; retired: published until unpublishAfter. */
  status: 'next' | 'current' | 'retired';
  createdAt: Date;
  activatesAt: Date;
  unpublishAfter: Date | null;
}

export async function listSigningKeys(db: Db): Promise<SigningKeySummary[]> {
  const rows = await publishedKeyRows(db).select(['kid', 'alg', 'created_at', 'activates_at', 'retired_at', 'unpublish_after']).execute();
  const now = Date.now();
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    status: row.activates_at.getTime() > now ? 'next' : row.retired_at && row.retired_at.getTime() <= now ? 'retired' : 'current',
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    unpublishAfter: row.unpublish_after,
  }));
}

/** Published keys, the ones that sign now first (newest activation first), then the next generation. */
function publishedKeyRows(db: Db) {
  return db
    .selectFrom('signing_keys')
    .where((eb) => eb.or([eb('unpublish_after', 'is', null), eb('unpublish_after', '>', sql<Date>`now()`)]))
    .orderBy(sql`activates_at <= now()`, 'desc')
    .orderBy('activates_at', 'desc')
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

/**
 * How `keys rotate` schedules a new generation: published for two key-refresh periods before it
 * signs (every instance has reloaded by then), the previous keys published for the longest lifetime
 * of anything they signed, plus skew, after they stop signing.
 */
export function keyRotationPolicy(config: Config): RotationPolicy {
  const { idTokenSeconds, accessTokenSeconds, clientCredentialsSeconds } = config.ttl;
  return {
    activationDelaySeconds: 2 * config.keyRefreshSeconds,
    retiredKeyGraceSeconds: Math.max(idTokenSeconds, accessTokenSeconds, clientCredentialsSeconds) + 300,
  };
}
