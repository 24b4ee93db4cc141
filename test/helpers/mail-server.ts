import { afterAll, beforeAll } from 'vitest';
import type { RunningServer } from '../../src/server.ts';
import { registerRelyingParty, type TestClient } from './relying-party.ts';
import { type ReceivedMail, SmtpSink } from './smtp-sink.ts';
import { startTestServer, type TestServerOptions } from './test-server.ts';

export interface ServerWithMail {
  server: RunningServer & { databaseUrl: string };
  sink: SmtpSink;
  close(): Promise<void>;
}

/** The app with SMTP_URL pointing at an in-process SMTP sink. */
export async function startServerWithMail(options: TestServerOptions = {}): Promise<ServerWithMail> {
  const sink = await SmtpSink.start();
  const server = await startTestServer({ ...options, overrides: { smtpUrl: sink.url, ...options.overrides } });
  return {
    server,
    sink,
    async close() {
      await server.close();
      await sink.close();
    },
  };
}

/** The link of a mail that goes to `path` (/reset-password, /signup/verify…). */
export function linkTo(mail: ReceivedMail, path: string): string {
  const link = mail.links.find((candidate) => new URL(candidate).pathname === path);
  if (!link) throw new Error(`no ${path} link in "${mail.subject}":\n${mail.text}`);
  return link;
}

/** A server with the test SMTP server and a registered app, for the tests of one file (started before them, stopped after). */
export function serverWithMailAndApp(): { readonly withMail: ServerWithMail; readonly app: TestClient } {
  const fixture = {} as { withMail: ServerWithMail; app: TestClient };
  beforeAll(async () => {
    fixture.withMail = await startServerWithMail();
    fixture.app = await registerRelyingParty(fixture.withMail.server);
  });
  afterAll(() => fixture.withMail?.close());
  return fixture;
}
