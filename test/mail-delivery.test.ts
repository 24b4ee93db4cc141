import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startServer } from '../src/server.ts';
import { createTestDatabase } from './helpers/database.ts';
import { type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';
import { startTestServer, testSecrets } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('mail delivery', () => {
  let env: ServerWithMail;

  beforeAll(async () => {
    env = await startServerWithMail({ overrides: { mail: { pollIntervalSeconds: 0.1, retryBaseSeconds: 0.2, maxAttempts: 3 } } });
  });
  afterAll(() => env?.close());

  const mailRow = (recipient: string) => env.server.services.db.selectFrom('outgoing_mails').selectAll().where('recipient', '=', recipient).executeTakeFirst();
  const requestReset = async (email: string) => {
    const agent = new UserAgent();
    const form = await agent.follow(`${env.server.url}/forgot-password`);
    return agent.submit(form, 'form[action="/forgot-password"]', { email });
  };

  it('retries a mail the SMTP server refused, without changing what the user was told', async () => {
    await env.server.services.accounts.service.createAccount({ email: 'retry@example.com', password: 'retry me later please', emailVerified: true });
    env.sink.refuseNextRecipients(1);
    const page = await requestReset('retry@example.com');
    expect(page.status).toBe(200);
    expect(page.$('h1').text()).toBe('Check your email');

    const mail = await env.sink.waitFor('retry@example.com');
    expect(mail.subject).toBe('Reset your password');
    expect(env.sink.refusedAttempts).toBe(1);
    const row = await eventually(
      () => mailRow('retry@example.com'),
      (value) => value?.status === 'sent',
    );
    expect(row).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });

  it('gives up after the configured number of attempts and keeps the failure', async () => {
    env.sink.refuseNextRecipients(100);
    await requestReset('bounce@example.com');
    const row = await eventually(
      () => mailRow('bounce@example.com'),
      (value) => value?.status === 'failed',
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row?.last_error).toContain('mailbox busy');
    env.sink.refuseNextRecipients(0);
  });

  it('keeps queued mail encrypted: the database does not hold the reset link', async () => {
    await env.server.services.accounts.service.createAccount({ email: 'sealed@example.com', password: 'sealed and delivered', emailVerified: true });
    await requestReset('sealed@example.com');
    const mail = await env.sink.waitFor('sealed@example.com');
    const token = new URL(mail.links.find((link) => link.includes('/reset-password'))!).searchParams.get('token')!;
    const row = await mailRow('sealed@example.com');
    expect(row?.content_encrypted).not.toContain(token);
    expect(row?.content_encrypted).not.toContain('reset-password');
  });

  it('delivers each mail once when several instances send from the same queue', async () => {
    const second = await startTestServer({
      databaseUrl: env.server.databaseUrl,
      overrides: { smtpUrl: env.sink.url, mail: { pollIntervalSeconds: 0.05, retryBaseSeconds: 0.2, maxAttempts: 3 } },
    });
    try {
      const recipients = Array.from({ length: 30 }, (_, index) => `many${index}@example.com`);
      await Promise.all(
        recipients.map((to, index) =>
          (index % 2 ? second : env.server).services.mail.outbox.enqueue({
            to,
            template: 'password-reset-unknown',
            locale: 'en',
            data: { email: to, signUpUrl: 'http://127.0.0.1/signup' },
          }),
        ),
      );
      for (const to of recipients) await env.sink.waitFor(to);
      // Both senders keep polling for a while: nothing is sent twice.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const to of recipients) expect(env.sink.to(to)).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

describe('mail without SMTP_URL outside production', () => {
  it('goes to the log and to the /dev/mail outbox page, whose links work', async () => {
    const server = await startTestServer();
    try {
      const agent = new UserAgent();
      const form = await agent.follow(`${server.url}/signup`);
      await agent.submit(form, 'form[action="/signup"]', { name: 'Alan', email: 'alan@example.com', password: 'enigma bombe 1940' });
      const outbox = await eventually(
        () => agent.follow(`${server.url}/dev/mail`),
        (page) => page.$('.outbox-mail .mail-status').text().includes(': sent'),
      );
      expect(outbox.status).toBe(200);
      expect(outbox.$('.outbox-mail h2').first().text()).toBe('Confirm your email address');
      const link = outbox.$('.outbox-mail a[href*="/signup/verify"]').attr('href')!;
      const confirm = await agent.follow(link);
      expect(confirm.status).toBe(200);
      expect(confirm.$('form[action="/signup/verify"]').length).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('mail in production', () => {
  it('requires SMTP_URL', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        ISSUER: 'https://signin.example.test',
        COOKIE_SECRETS: testSecrets.cookieSecrets[0],
        KEY_ENCRYPTION_SECRET: testSecrets.keyEncryptionSecret,
      }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        ISSUER: 'https://signin.example.test',
        COOKIE_SECRETS: testSecrets.cookieSecrets[0],
        KEY_ENCRYPTION_SECRET: testSecrets.keyEncryptionSecret,
        PASSWORD_PEPPERS: testSecrets.passwordPeppers[0],
      }),
    ).toThrow(/SMTP_URL/);
  });

  it('has no /dev/mail page', async () => {
    const sink = await SmtpSink.start();
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const config = loadConfig(
      { NODE_ENV: 'production', SMTP_URL: sink.url },
      {
        ...testSecrets,
        issuer: 'https://signin.example.test',
        databaseUrl: await createTestDatabase(),
        dataDir: mkdtempSync(path.join(tmpdir(), 'signin-prod-')),
        logLevel: 'silent',
      },
    );
    const running = await startServer(config, { server: http });
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/dev/mail`)).status).toBe(404);
      expect((await fetch(`${base}/forgot-password`)).status).toBe(200);
    } finally {
      await running.close();
      await sink.close();
    }
  });
});
