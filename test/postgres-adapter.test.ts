import { type CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { errors } from 'oidc-provider';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/schema.ts';
import { TransactionScope } from '../src/db/transaction-scope.ts';
import { PostgresAdapter, purgeExpiredModels } from '../src/oidc/postgres-adapter.ts';
import { createTestDatabase } from './helpers/database.ts';

/** Every model oidc-provider persists with the features we enable (PAR and DPoP are on by default). */
const persistedModels = [
  'Session',
  'Interaction',
  'AuthorizationCode',
  'AccessToken',
  'RefreshToken',
  'ClientCredentials',
  'Grant',
  'PushedAuthorizationRequest',
  'ReplayDetection',
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

describe('PostgreSQL adapter', () => {
  let pool: pg.Pool;
  let db: Kysely<Database>;
  let captured: CompiledQuery[] = [];

  const adapter = (model: string) => new PostgresAdapter(new TransactionScope(db), model);
  const countRows = async (where = sql`true`) =>
    Number((await sql<{ count: string }>`select count(*) from oidc_models where ${where}`.execute(db)).rows[0]!.count);

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 4 });
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      log: (event) => {
        if (event.level === 'query') captured.push(event.query);
      },
    });
  });
  afterAll(() => db?.destroy());
  beforeEach(async () => {
    await sql`truncate oidc_models`.execute(db);
    captured = [];
  });

  it.each(persistedModels)('stores, finds, updates and destroys a %s', async (model) => {
    const store = adapter(model);
    await store.upsert('id-1', { jti: 'id-1', modelName: model, exp: 4_000_000_000 }, 3600);
    expect(await store.find('id-1')).toEqual({ jti: 'id-1', modelName: model, exp: 4_000_000_000 });

    await store.upsert('id-1', { jti: 'id-1', modelName: model, scope: 'updated' }, 3600);
    expect(await store.find('id-1')).toEqual({ jti: 'id-1', modelName: model, scope: 'updated' });
    expect(await countRows()).toBe(1);

    await store.destroy('id-1');
    expect(await store.find('id-1')).toBeUndefined();
  });

  it('keeps models apart: one id in two models is two rows', async () => {
    await adapter('AccessToken').upsert('same', { kind: 'AccessToken' }, 60);
    await adapter('RefreshToken').upsert('same', { kind: 'RefreshToken' }, 60);
    expect(await adapter('AccessToken').find('same')).toEqual({ kind: 'AccessToken' });
    expect(await adapter('RefreshToken').find('same')).toEqual({ kind: 'RefreshToken' });
    await adapter('AccessToken').destroy('same');
    expect(await adapter('RefreshToken').find('same')).toEqual({ kind: 'RefreshToken' });
  });

  it('finds sessions by uid and device codes by user code, within their model only', async () => {
    await adapter('Session').upsert('session-1', { uid: 'uid-1', accountId: 'a' }, 60);
    await adapter('DeviceCode').upsert('device-1', { userCode: 'ABCD-EFGH', grantId: 'g' }, 60);
    expect(await adapter('Session').findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'a' });
    expect(await adapter('Interaction').findByUid('uid-1')).toBeUndefined();
    expect(await adapter('DeviceCode').findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH', grantId: 'g' });
    expect(await adapter('DeviceCode').findByUserCode('ABCD-XXXX')).toBeUndefined();
  });

  it('marks a model consumed once: a second consume fails, as a racing redemption must', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('code-1', { grantId: 'g' }, 60);
    const before = Math.floor(Date.now() / 1000);
    await codes.consume('code-1');
    const consumed = (await codes.find('code-1'))!.consumed as number;
    expect(consumed).toBeGreaterThanOrEqual(before - 1);
    expect(consumed).toBeLessThanOrEqual(before + 1);

    await expect(codes.consume('code-1')).rejects.toBeInstanceOf(errors.InvalidGrant);
    await expect(codes.consume('missing')).rejects.toBeInstanceOf(errors.InvalidGrant);

    const requests = adapter('PushedAuthorizationRequest');
    await requests.upsert('par-1', {}, 60);
    await requests.consume('par-1');
    await expect(requests.consume('par-1')).rejects.toBeInstanceOf(errors.InvalidRequestUri);
  });

  it('revokes every model of a grant, and nothing of other grants', async () => {
    for (const model of ['AuthorizationCode', 'AccessToken', 'RefreshToken']) {
      await adapter(model).upsert(`${model}-1`, { grantId: 'grant-1' }, 60);
      await adapter(model).upsert(`${model}-2`, { grantId: 'grant-2' }, 60);
    }
    await adapter('Grant').upsert('grant-1', { accountId: 'a', clientId: 'c' }, 60);

    await adapter('AccessToken').revokeByGrantId('grant-1');
    expect(await countRows(sql`grant_id = 'grant-1'`)).toBe(0);
    expect(await countRows(sql`grant_id = 'grant-2'`)).toBe(3);
  });

  it('expires models: an expired row is not found, one without lifetime never expires', async () => {
    const tokens = adapter('AccessToken');
    await tokens.upsert('short', { grantId: 'g' }, 120);
    await tokens.upsert('forever', {}, 0);
    const expiresAt = (await sql<{ id: string; expires_at: Date | null }>`select id, expires_at from oidc_models order by id`.execute(db)).rows;
    expect(expiresAt[0]).toEqual({ id: 'forever', expires_at: null });
    expect(Math.abs(expiresAt[1]!.expires_at!.getTime() - (Date.now() + 120_000))).toBeLessThan(5_000);

    await sql`update oidc_models set expires_at = now() - interval '1 second' where id = 'short'`.execute(db);
    expect(await tokens.find('short')).toBeUndefined();
    expect(await tokens.find('forever')).toEqual({});

    const sessions = adapter('Session');
    await sessions.upsert('s', { uid: 'u' }, 60);
    await sql`update oidc_models set expires_at = now() - interval '1 second' where id = 's'`.execute(db);
    expect(await sessions.findByUid('u')).toBeUndefined();
  });

  it('purges expired rows in bounded batches, keeping live ones and a few minutes of expired ones', async () => {
    await sql`insert into oidc_models (model, id, payload, expires_at)
      select 'AccessToken', 'expired-' || n, '{}', now() - interval '1 hour' from generate_series(1, 2500) as n`.execute(db);
    await sql`insert into oidc_models (model, id, payload, expires_at) values
      ('AccessToken', 'live', '{}', now() + interval '1 hour'),
      ('AccessToken', 'just-expired', '{}', now() - interval '1 minute'),
      ('Session', 'no-expiry', '{}', null)`.execute(db);

    // Two batches of 1000 at most, then it stops: the rest waits for the next run.
    expect(await purgeExpiredModels(db, 1000, 2)).toBe(2000);
    expect(await countRows(sql`id like 'expired-%'`)).toBe(500);
    for (const query of captured.filter((compiled) => compiled.sql.includes('delete'))) expect(query.parameters).toEqual([1000]);

    expect(await purgeExpiredModels(db, 1000)).toBe(500);
    expect((await sql<{ id: string }>`select id from oidc_models order by id`.execute(db)).rows.map((row) => row.id)).toEqual([
      'just-expired',
      'live',
      'no-expiry',
    ]);
  });

  it('answers every lookup and the purge scan from an index on a large table', { timeout: 120_000 }, async () => {
    // 300k rows spread over the models, 1% of them expired long ago.
    await sql`insert into oidc_models (model, id, payload, grant_id, uid, user_code, expires_at)
      select (array['Session','Interaction','AuthorizationCode','AccessToken','RefreshToken','Grant','DeviceCode','ReplayDetection','PushedAuthorizationRequest'])[1 + n % 9],
             'id-' || n,
             '{}',
             case when n % 9 in (2, 3, 4, 6) then 'grant-' || (n / 9) end,
             case when n % 9 in (0, 1) then 'uid-' || n end,
             case when n % 9 = 6 then 'code-' || n end,
             case when n % 100 = 0 then now() - interval '1 hour' else now() + interval '1 hour' end
      from generate_series(1, 300000) as n`.execute(db);
    await sql`analyze oidc_models`.execute(db);
    captured = [];

    await adapter('AccessToken').find('id-3');
    await adapter('Session').findByUid('uid-9');
    await adapter('DeviceCode').findByUserCode('code-6');
    await adapter('RefreshToken').revokeByGrantId('grant-100');
    await adapter('AuthorizationCode').consume('id-2');
    await adapter('Grant').destroy('id-5');
    await purgeExpiredModels(db, 1000, 1);
    expect(captured).toHaveLength(7);

    const client = await pool.connect();
    try {
      for (const query of captured) {
        const { rows } = await client.query(`explain (format json) ${query.sql}`, [...query.parameters]);
        const nodes = planNodes((rows[0]['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan);
        const plan = `${query.sql}\n${nodes.map((node) => `${node['Node Type']} ${node['Index Name'] ?? node['Relation Name'] ?? ''}`).join('\n')}`;
        expect(
          nodes.filter((node) => node['Node Type'] === 'Seq Scan'),
          plan,
        ).toEqual([]);
        expect(
          nodes.some((node) => node['Index Name']?.startsWith('oidc_models__')),
          plan,
        ).toBe(true);
      }
    } finally {
      client.release();
    }
  });
});
