import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded-postgres.ts';
import { postmasterPid, runNode, ServerProcess, waitForNoPostmaster } from './helpers/processes.ts';

/** Sends the headers and part of a form body now; `finish()` sends the rest and resolves with the status. */
function startSlowPost(url: string) {
  const body = '_csrf=abc&email=a%40b.c';
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } });
  const response = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  req.write(body.slice(0, 5));
  return {
    finish: () => {
      req.end(body.slice(5));
      return response;
    },
  };
}

async function publishedKids(url: string): Promise<string[]> {
  const { keys } = (await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string }[] };
  return keys.map((key) => key.kid).sort();
}

/** `npm run cli -- ...` without DATABASE_URL: the embedded PostgreSQL of DATA_DIR. */
async function cli(dataDir: string, ...args: string[]) {
  const result = await runNode(['src/cli/main.ts', ...args], { DATA_DIR: dataDir });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as unknown;
}

// One DATA_DIR for the whole file, in order: creating a cluster (initdb) is the slow part.
describe('npm start: node src/main.ts on the embedded PostgreSQL of a fresh DATA_DIR', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'signin-start-'));
  let server: ServerProcess;
  let kidsAtFirstStart: string[];
  let clientId: string;

  beforeAll(async () => {
    // No DATABASE_URL and no secrets: what `npm install && npm start` does on a new checkout.
    server = await ServerProcess.start(await freePort(), { DATA_DIR: dataDir });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await waitForNoPostmaster(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves discovery, liveness and readiness', async () => {
    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(await discovery.json()).toMatchObject({ issuer: server.url, authorization_endpoint: `${server.url}/auth` });

    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    kidsAtFirstStart = await publishedKids(server.url);
    expect(kidsAtFirstStart.length).toBeGreaterThan(0);
  });

  it('logs JSON lines, one per request with its request id', async () => {
    const response = await fetch(`${server.url}/healthz?probe=1`);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const line = await server.waitForLog((entry) => entry.requestId === requestId);
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/healthz', status: 200, level: 30 });
    expect(JSON.stringify(line)).not.toContain('probe=1');
    for (const entry of server.logLines) expect(entry).toHaveProperty('time');
  });

  it('lets the CLI join the running cluster: the server sees what it creates', async () => {
    const postgresPid = postmasterPid(dataDir);
    const created = (await cli(dataDir, 'clients', 'create', '--name', 'Joined', '--redirect-uri', 'http://127.0.0.1:9/cb', '--json')) as { client_id: string };
    clientId = created.client_id;
    const authorize = new URL(`${server.url}/auth`);
    authorize.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: 'http://127.0.0.1:9/cb',
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(authorize, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/interaction\//);

    const keys = (await cli(dataDir, 'keys', 'list', '--json')) as { kid: string }[];
    expect(keys.map((key) => key.kid).sort()).toEqual(kidsAtFirstStart);
    // The CLI left the server's cluster running.
    expect(postmasterPid(dataDir)).toBe(postgresPid);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('on SIGTERM finishes the request in flight, exits 0 and stops its PostgreSQL', async () => {
    const postgresPid = postmasterPid(dataDir);
    expect(postgresPid).toBeDefined();

    const slow = startSlowPost(`${server.url}/interaction/unknown/password`);
    // The request has reached the server (it waits for the rest of the body) before the signal.
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.signal('SIGTERM');
    await server.waitForLog((entry) => entry.msg === 'shutting down');
    const refused = await fetch(`${server.url}/healthz`).then(
      () => 'accepted',
      () => 'refused',
    );
    expect(refused).toBe('refused');
    expect(await slow.finish()).toBe(403);

    expect(await server.exited()).toBe(0);
    expect(server.stderr).toBe('');
    expect(await waitForNoPostmaster(dataDir)).toBe(true);
    expect(() => process.kill(postgresPid!, 0)).toThrow();
  });

  it('runs the CLI with no server: it starts the cluster, then stops it', async () => {
    const user = (await cli(dataDir, 'users', 'create', '--email', 'Offline@Example.com', '--password', 'correct horse battery', '--json')) as {
      email: string;
    };
    expect(user.email).toBe('offline@example.com');
    expect(await waitForNoPostmaster(dataDir)).toBe(true);
    const clients = (await cli(dataDir, 'clients', 'list', '--json')) as { clientId: string }[];
    expect(clients.map((client) => client.clientId)).toEqual([clientId]);
    expect(await waitForNoPostmaster(dataDir)).toBe(true);
  });

  it('restarts on the same DATA_DIR with the same signing keys and secrets', async () => {
    const restarted = await ServerProcess.start(await freePort(), { DATA_DIR: dataDir });
    try {
      expect(await publishedKids(restarted.url)).toEqual(kidsAtFirstStart);
    } finally {
      expect(await restarted.stop()).toBe(0);
    }
    expect(await waitForNoPostmaster(dataDir)).toBe(true);
  });

  it('refuses to start with another KEY_ENCRYPTION_SECRET, in one line, leaving no PostgreSQL behind', async () => {
    const result = await runNode(['src/main.ts'], {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      KEY_ENCRYPTION_SECRET: 'not-the-secret-the-keys-were-sealed-with-0123',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'Startup failed: a stored secret cannot be decrypted (sealed under neither KEY_ENCRYPTION_SECRET nor any of KEY_ENCRYPTION_SECRET_PREVIOUS)',
    ]);
    expect(await waitForNoPostmaster(dataDir)).toBe(true);
  });
});
