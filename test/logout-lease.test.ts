import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/log.ts';
import { LogoutDeliveryRepository } from '../src/oidc/logout/logout-delivery.repository.ts';
import { createTestDatabase } from './helpers/database.ts';
import { LogoutListener } from './helpers/logout-listener.ts';
import { registerRelyingParty } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';

describe('back-channel logout claims are leases', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('hands a delivery claimed by an instance that died to another one once the lease runs out, and the dead claim can no longer finish it', async () => {
    const databaseUrl = await createTestDatabase();
    const db = createDatabase(databaseUrl, createLogger('silent'));
    closers.push(() => db.destroy());
    const listener = await new LogoutListener().listen();
    closers.push(() => listener.close());
    const survivor = await startTestServer({ databaseUrl });
    closers.push(() => survivor.close());
    const app = await registerRelyingParty(survivor, { backchannelLogoutUri: listener.url });

    // The instance that dies: it queued and claimed the notice (one commit, before any other instance saw it), then vanished.
    const deadClaim = await db.transaction().execute(async (trx) => {
      const deadInstance = new LogoutDeliveryRepository(trx, 1);
      await deadInstance.enqueue(trx, [{ clientId: app.clientId, subject: 'someone', sid: null, reason: 'logout' }], 600);
      return deadInstance.claimDue(10);
    });
    expect(deadClaim.rows).toHaveLength(1);

    await until(async () => (listener.tokens.length ? true : undefined), 'the survivor to deliver the orphaned notice');
    const id = deadClaim.rows[0]!.id;
    const delivered = await until(async () => {
      const row = await db.selectFrom('logout_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return row.status === 'delivered' ? row : undefined;
    }, 'the delivery recorded');
    expect(delivered.attempts).toBe(2);
    // The dead instance waking up late writes nothing over the survivor's outcome.
    expect(await new LogoutDeliveryRepository(db, 1).retryOrGiveUp(db, id, deadClaim.token, 60, 'late')).toBe(false);
    expect(await db.selectFrom('logout_deliveries').select(['status', 'last_error']).where('id', '=', id).executeTakeFirstOrThrow()).toEqual({
      status: 'delivered',
      last_error: null,
    });
    expect(listener.tokens).toHaveLength(1);
  });
});
