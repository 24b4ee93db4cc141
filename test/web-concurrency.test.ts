import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded-postgres.ts';
import { createTestDatabase } from './helpers/database.ts';
import { ServerProcess, testSecretsEnv } from './helpers/processes.ts';
import { authorizationRequest, exchangeCode, registerRelyingParty } from './helpers/relying-party.ts';
import { type ProcessFixtures, processFixtures } from './helpers/server-process-fixtures.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';
import { until } from './helpers/until.ts';
import { UserAgent } from './helpers/user-agent.ts';

/** GET on a connection of its own (no keep-alive), so that the cluster hands each request to the next worker. */
function getOnNewConnection(url: string): Promise<{ status: number; requestId: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-request-id']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('WEB_CONCURRENCY=2: two worker processes sharing the port', () => {
  let server: ServerProcess;
  let fixtures: ProcessFixtures;
  let sink: SmtpSink;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    sink = await SmtpSink.start();
    const env = { ...testSecretsEnv, DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '2', BCRYPT_COST: '4', SMTP_URL: sink.url };
    server = await ServerProcess.start(await freePort(), env);
    await server.waitForLog((line) => line.msg === 'all workers listening', 90_000);
    fixtures = processFixtures(server, databaseUrl);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await fixtures?.close();
    await sink?.close();
  });

  const workerPids = () => server.logLines.filter((line) => line.msg === 'worker listening').map((line) => line.workerPid as number);

  it('answers from both workers', async () => {
    const pids = new Set<unknown>();
    for (let i = 0; i < 8 && pids.size < 2; i++) {
      const { status, requestId } = await getOnNewConnection(`${server.url}/healthz`);
      expect(status).toBe(200);
      pids.add((await server.waitForLog((line) => line.requestId === requestId)).pid);
    }
    expect([...pids].sort()).toEqual(workerPids().sort());
  });

  it('completes a sign-in and a token request, whichever worker takes each request', async () => {
    const app = await registerRelyingParty(fixtures.server);
    const account = await fixtures.server.services.accounts.service.createAccount({
      email: 'ada@example.com',
      password: 'analytical engine 1843',
      emailVerified: true,
    });
    const authorization = await authorizationRequest(app.config);
    const callback = await signInThroughBrowserless(new UserAgent(), authorization.url, 'ada@example.com', 'analytical engine 1843');
    const tokens = await exchangeCode(app.config, callback.url, authorization);
    expect(tokens.claims()).toMatchObject({ sub: account.id, iss: server.url });
  });

  it('sends each queued mail once, though both workers run a mail sender', async () => {
    const invitees = Array.from({ length: 6 }, (_, i) => `invitee-${i}@example.com`);
    for (const email of invitees) await fixtures.server.services.selfService.invitations.invite({ email, locale: 'en' });
    const rows = await until(async () => {
      const mails = await fixtures.db.selectFrom('outgoing_mails').select(['status', 'attempts']).execute();
      return mails.length === invitees.length && mails.every((mail) => mail.status === 'sent') ? mails : undefined;
    }, 'every mail sent');
    expect(rows.map((row) => row.attempts)).toEqual(invitees.map(() => 1));
    expect(sink.messages.flatMap((mail) => mail.to).sort()).toEqual(invitees.sort());
  });

  it('replaces a worker that crashed', async () => {
    const [victim] = workerPids();
    process.kill(victim!, 'SIGKILL');
    await server.waitForLog((line) => line.msg === 'worker exited: starting another' && line.workerPid === victim);
    await server.waitForLog(
      (line) =>
        line.msg === 'worker listening' &&
        !workerPids()
          .slice(0, 2)
          .includes(line.workerPid as number),
      60_000,
    );
    expect((await getOnNewConnection(`${server.url}/healthz`)).status).toBe(200);
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const running = workerPids().filter(isAlive);
    expect(running).toHaveLength(2);
    expect(await server.stop()).toBe(0);
    expect(running.filter(isAlive)).toEqual([]);
    expect(server.logLines.filter((line) => line.msg === 'shutting down')).toHaveLength(3);
  });
});
