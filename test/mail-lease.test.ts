import { afterAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../src/crypto/secret-box.ts';
import { createDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/log.ts';
import { MailOutbox } from '../src/mail/mail-outbox.ts';
import { OutgoingMailRepository } from '../src/mail/outgoing-mail.repository.ts';
import { createTestDatabase } from './helpers/database.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';
import { startTestServer, testSecrets } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';

describe('mail claims are leases', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('hands a mail claimed by an instance that died to another one once the lease runs out, and the dead claim can no longer finish it', async () => {
    const databaseUrl = await createTestDatabase();
    const db = createDatabase(databaseUrl, createLogger('silent'));
    closers.push(() => db.destroy());
    const leaseSeconds = 1;
    // The instance that dies: it claimed the mail, then never sent it nor renewed its lease.
    const deadInstance = new OutgoingMailRepository(db, leaseSeconds);
    await new MailOutbox(db, deadInstance, new SecretBox(testSecrets.keyEncryptionSecret)).enqueue({
      to: 'orphan@example.com',
      template: 'password-reset',
      locale: 'en',
      data: { link: 'http://127.0.0.1:9/reset', minutes: 60 },
    });
    const deadClaim = await deadInstance.claimDue(10);
    expect(deadClaim.rows.map((row) => row.recipient)).toEqual(['orphan@example.com']);

    const sink = await SmtpSink.start();
    closers.push(() => sink.close());
    const survivor = await startTestServer({
      databaseUrl,
      overrides: { smtpUrl: sink.url, mail: { pollIntervalSeconds: 0.1, retryBaseSeconds: 0.2, maxAttempts: 3, leaseSeconds } },
    });
    closers.push(() => survivor.close());
    await sink.waitFor('orphan@example.com', 1, 5_000);

    const mailId = deadClaim.rows[0]!.id;
    // SMTP has it before the survivor records it.
    const sent = await until(async () => {
      const row = await db.selectFrom('outgoing_mails').selectAll().where('id', '=', mailId).executeTakeFirstOrThrow();
      return row.status === 'sent' ? row : undefined;
    }, 'the mail recorded as sent');
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, lease_token: null });
    // The dead instance waking up late writes nothing over the survivor's outcome.
    await deadInstance.scheduleRetry(db, mailId, deadClaim.token, 60, 'late');
    expect(await db.selectFrom('outgoing_mails').select(['status', 'last_error']).where('id', '=', mailId).executeTakeFirstOrThrow()).toEqual({
      status: 'sent',
      last_error: null,
    });
    expect(sink.to('orphan@example.com')).toHaveLength(1);
  });
});
