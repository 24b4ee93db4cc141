import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRotationPolicy, listSigningKeys, rotateSigningKeysIfDue } from '../src/oidc/signing-keys.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';

describe('automatic signing-key rotation (KEY_ROTATION_DAYS)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    // 0 days: no schedule here, so only the test's own calls rotate.
    server = await startTestServer({ overrides: { keyRotationDays: 0 } });
  });
  afterAll(() => server?.close());

  const keyCount = async () => Number((await sql<{ count: string }>`select count(*) from signing_keys`.execute(server.services.db)).rows[0]!.count);
  const ageKeys = (days: number) => sql`update signing_keys set created_at = created_at - make_interval(days => ${days})`.execute(server.services.db);
  const rotateIfDue = (days: number) => rotateSigningKeysIfDue(server.services.db, server.services.secretBox, keyRotationPolicy(server.services.config), days);

  it('rotates only once the newest keys are older than the period, once per period however many instances ask, never with 0', async () => {
    const before = await keyCount();
    expect(await rotateIfDue(30)).toBeUndefined();
    await ageKeys(31);
    expect(await rotateIfDue(0)).toBeUndefined();
    expect(await keyCount()).toBe(before);

    // Twenty instances checking at the same moment: one rotation.
    const answers = await Promise.all(Array.from({ length: 20 }, () => rotateIfDue(30)));
    expect(answers.filter((kids) => kids !== undefined)).toHaveLength(1);
    expect(await keyCount()).toBe(before * 2);
    expect((await listSigningKeys(server.services.db)).filter((key) => key.status === 'next')).toHaveLength(before);
    expect(await rotateIfDue(30)).toBeUndefined();
  });

  it('runs by itself in a running server', async () => {
    const scheduled = await startTestServer({ overrides: { keyRotationDays: 90, keyRefreshSeconds: 1 } });
    try {
      const count = async () => Number((await sql<{ count: string }>`select count(*) from signing_keys`.execute(scheduled.services.db)).rows[0]!.count);
      const before = await count();
      await sql`update signing_keys set created_at = created_at - make_interval(days => 91)`.execute(scheduled.services.db);
      await until(async () => ((await count()) > before ? true : undefined), 'the scheduled rotation');
      expect(await count()).toBe(before * 2);
    } finally {
      await scheduled.close();
    }
  });
});
