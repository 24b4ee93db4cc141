/**
 * `npm run bench`: throughput and latency of the token endpoint and of complete sign-ins, on
 * loopback, against a bare oidc-provider and the cost of bcrypt. See README.md, "Performance".
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { freePort } from '../src/db/embedded-postgres.ts';
import type { BareProviderSetup } from './bare-provider.ts';
import { type PinnedChild, runOnServerCore, startOnServerCore, waitUntilReady } from './child-process.ts';
import { arrangeCores } from './cores.ts';
import type { CryptoCeilings } from './crypto-ceilings.ts';
import { type Fixtures, prepareFixtures } from './fixtures.ts';
import { seedLargeDatabase } from './large-database.ts';
import { checkLogin, driveLogins, type LoginStats, type LoginTarget } from './login-driver.ts';
import { monotonicMicros, type ProfileWindow, profileReport, summarizeProfile } from './profile-summary.ts';
import { driveRefreshes } from './refresh-load.ts';
import {
  type BenchResults,
  ceilingsLine,
  largeTable,
  type Machine,
  resultsTable,
  type SizeFigures,
  type WithCpu,
  type WorkerRun,
  workersTable,
  writePerformanceSection,
} from './report.ts';
import { mixedConnections, readSettings, warmupSeconds } from './settings.ts';
import {
  checkIntrospection,
  checkTokenEndpoint,
  introspectionRequest,
  type LoadResult,
  loadEndpoint,
  loadTokenEndpoint,
  type TokenTarget,
} from './token-load.ts';

const projectRoot = path.resolve(import.meta.dirname, '..');
const script = (name: string) => path.join(import.meta.dirname, name);
const algs = ['RS256', 'ES256'] as const;

/** bcrypt's lowest cost (about 1 ms): profiles of sign-ins then show what the hash would hide. */
const profileBcryptCost = 4;
const { values: options } = parseArgs({ options: { profile: { type: 'boolean', default: false }, large: { type: 'boolean', default: false } } });
/** Accounts, and stored tokens, of the `--large` database. */
const largeCount = 1_000_000;
const settings = readSettings();
const warmup = warmupSeconds(settings);
const log = (message: string) => console.log(`[bench] ${message}`);

function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? 'unknown CPU';
}

const nproc = availableParallelism();
const layout = arrangeCores();
const loadAtStart = loadavg()[0]!;
const machine: Machine = {
  cpuModel: cpuModel(),
  nproc,
  node: process.version,
  layout: layout.description,
  serverCores: layout.serverCores,
  loadAverage: { start: loadAtStart, end: loadAtStart },
};

const children: PinnedChild[] = [];
let fixtures: Fixtures | undefined;
async function cleanUp(): Promise<void> {
  await Promise.all(children.map((child) => child.stop()));
  await fixtures?.dispose();
  fixtures = undefined;
}
process.once('SIGINT', () => {
  cleanUp().finally(() => process.exit(130));
});

async function startChild(
  name: string,
  env: NodeJS.ProcessEnv,
  readyUrl: string,
  options: { profileDir?: string; allCores?: boolean } = {},
): Promise<PinnedChild> {
  const child = startOnServerCore(layout, script(name), env, options);
  children.push(child);
  await waitUntilReady(child, readyUrl);
  return child;
}

/** Runs a measurement and adds the server's CPU time per completed operation. */
async function withServerCpu<T extends { completed: number }>(server: PinnedChild, measure: () => Promise<T>): Promise<WithCpu<T>> {
  const before = server.cpuSeconds();
  const result = await measure();
  return { ...result, cpuMs: ((server.cpuSeconds() - before) * 1000) / result.completed };
}

async function measureTokens(server: PinnedChild, target: TokenTarget): Promise<WithCpu<LoadResult>> {
  await checkTokenEndpoint(target);
  await loadTokenEndpoint(target, { seconds: warmup, connections: settings.BENCH_CONNECTIONS });
  return withServerCpu(server, () => loadTokenEndpoint(target, { seconds: settings.BENCH_SECONDS, connections: settings.BENCH_CONNECTIONS }));
}

/**
 * (a) and (b). Both servers stay up on the server core and are measured alternately, so that
 * each ratio compares runs seconds apart, even when the machine's load drifts.
 */
async function tokenScenarios({ serverUrl, machineClient, resourceServers }: Fixtures, service: PinnedChild): Promise<BenchResults['tokens']> {
  const barePort = await freePort();
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const bareSetup: BareProviderSetup = { ...machineClient, resourceServers: Object.values(resourceServers) };
  const bareEnv = { ...process.env, NODE_ENV: 'production', PORT: String(barePort), BARE_PROVIDER_SETUP: JSON.stringify(bareSetup) };
  const bare = await startChild('bare-provider.ts', bareEnv, `${bareUrl}/.well-known/openid-configuration`);
  const tokens = {} as BenchResults['tokens'];
  for (const alg of algs) {
    log(`client_credentials, ${alg} access tokens`);
    const bareResult = await measureTokens(bare, { baseUrl: bareUrl, ...machineClient, resourceServer: resourceServers[alg] });
    log(`  bare oidc-provider: ${Math.round(bareResult.perSecond)} req/s, p99 ${bareResult.p99Ms} ms, ${bareResult.cpuMs.toFixed(2)} ms CPU each`);
    const server = await measureTokens(service, { baseUrl: serverUrl, ...machineClient, resourceServer: resourceServers[alg] });
    log(`  sign-in service:    ${Math.round(server.perSecond)} req/s, p99 ${server.p99Ms} ms, ${server.cpuMs.toFixed(2)} ms CPU each`);
    tokens[alg] = { server, bare: bareResult };
  }
  await bare.stop();
  return tokens;
}

/** Measured right before the logins they are compared with; the idle server shares the core meanwhile. */
function cryptoCeilings(bcryptCost: number): Promise<CryptoCeilings> {
  log('bcrypt and signature ceilings of the server core');
  return runOnServerCore<CryptoCeilings>(layout, script('crypto-ceilings.ts'), {
    ...process.env,
    BCRYPT_COST: String(bcryptCost),
    BENCH_CEILING_SECONDS: String(Math.min(5, Math.max(2, settings.BENCH_SECONDS / 2))),
  });
}

/** (c) `measure` adds the server's CPU time (and, profiling, marks the window). */
async function loginScenario(
  target: LoginTarget,
  service: PinnedChild,
  measure: (label: string, run: () => Promise<LoginStats>) => Promise<WithCpu<LoginStats>> = (_label, run) => withServerCpu(service, run),
): Promise<WithCpu<LoginStats>> {
  log('complete logins');
  const concurrency = settings.BENCH_LOGIN_CONCURRENCY;
  await checkLogin(target);
  await driveLogins(target, { seconds: warmup, concurrency });
  const logins = await measure('sign-ins', () => driveLogins(target, { seconds: settings.BENCH_SECONDS, concurrency }));
  log(
    `  ${logins.perSecond.toFixed(1)} logins/s, p99 ${Math.round(logins.p99Ms)} ms, ${logins.cpuMs.toFixed(1)} ms CPU each${logins.firstError ? `; first failure: ${logins.firstError}` : ''}`,
  );
  return logins;
}

/** (d) The same offered token load, alone and then alongside login loops. */
async function mixedScenario(tokenTarget: TokenTarget, loginTarget: LoginTarget): Promise<BenchResults['mixed']> {
  log(`token latency at ${settings.BENCH_MIXED_RATE} req/s, without then with logins`);
  const load = { seconds: settings.BENCH_SECONDS, connections: mixedConnections, rate: settings.BENCH_MIXED_RATE };
  const alone = await loadTokenEndpoint(tokenTarget, load);
  const [withLogins, logins] = await Promise.all([
    loadTokenEndpoint(tokenTarget, load),
    driveLogins(loginTarget, { seconds: settings.BENCH_SECONDS, concurrency: settings.BENCH_LOGIN_CONCURRENCY }),
  ]);
  log(`  p99 ${alone.p99Ms} ms alone, ${withLogins.p99Ms} ms with ${logins.perSecond.toFixed(1)} logins/s`);
  return { alone, withLogins, logins };
}

/** Keeps the peak resident memory of each serving process while load runs. */
function watchMemory(service: PinnedChild): { stop(): number[] } {
  const peaks: number[] = [];
  const sample = () =>
    service.workerRssMb().forEach((mb, index) => {
      peaks[index] = Math.max(peaks[index] ?? 0, mb);
    });
  const timer = setInterval(sample, 500);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/** (e) Refresh-token rotation on as many app sessions as the mixed scenario has connections. */
async function refreshScenario(service: PinnedChild, loginTarget: LoginTarget): Promise<WithCpu<LoadResult>> {
  log('refresh-token grants');
  // As many sign-ins at once as the login loops: more would pass the per-account limit on attempts in flight.
  const signIn = pLimit(settings.BENCH_LOGIN_CONCURRENCY);
  const signedIn = await Promise.all(Array.from({ length: mixedConnections }, () => signIn(() => checkLogin(loginTarget))));
  const chains = signedIn.map((tokens) => tokens.refresh_token ?? '');
  if (chains.includes('')) throw new Error('the sign-in issued no refresh token');
  const warmed = await driveRefreshes(loginTarget, chains, warmup);
  const refresh = await withServerCpu(service, () => driveRefreshes(loginTarget, warmed.chains, settings.BENCH_SECONDS));
  log(`  ${Math.round(refresh.perSecond)} refreshes/s, p99 ${refresh.p99Ms.toFixed(0)} ms, ${refresh.cpuMs.toFixed(2)} ms CPU each`);
  return refresh;
}

/** (f) Introspection of a signed-in app's opaque access token, as an API checks the tokens it receives. */
async function introspectionScenario(service: PinnedChild, loginTarget: LoginTarget): Promise<WithCpu<LoadResult>> {
  log('token introspection');
  const { access_token: token } = await checkLogin(loginTarget);
  const request = introspectionRequest(loginTarget.baseUrl, loginTarget, token);
  await checkIntrospection(request);
  await loadEndpoint(request, { seconds: warmup, connections: settings.BENCH_CONNECTIONS });
  const introspection = await withServerCpu(service, () => loadEndpoint(request, { seconds: settings.BENCH_SECONDS, connections: settings.BENCH_CONNECTIONS }));
  log(`  ${Math.round(introspection.perSecond)} introspections/s, p99 ${introspection.p99Ms} ms, ${introspection.cpuMs.toFixed(2)} ms CPU each`);
  return introspection;
}

/** The figures compared between the small and the large database. */
async function databaseSensitiveScenarios(service: PinnedChild, prepared: Fixtures): Promise<SizeFigures> {
  const { serverUrl, machineClient, loginClient, resourceServers, user } = prepared;
  const loginTarget: LoginTarget = { baseUrl: serverUrl, ...loginClient, ...user };
  log('client_credentials, RS256 access tokens');
  const tokens = await measureTokens(service, { baseUrl: serverUrl, ...machineClient, resourceServer: resourceServers.RS256 });
  log(`  ${Math.round(tokens.perSecond)} req/s, p99 ${tokens.p99Ms} ms, ${tokens.cpuMs.toFixed(2)} ms CPU each`);
  return {
    tokens,
    logins: await loginScenario(loginTarget, service),
    refresh: await refreshScenario(service, loginTarget),
    introspection: await introspectionScenario(service, loginTarget),
  };
}

/** (g) WEB_CONCURRENCY 1 and 2, the service free to use every core (shared with the load generator and PostgreSQL). */
async function workersScenario({ serverEnv, serverUrl, machineClient, loginClient, resourceServers, user }: Fixtures): Promise<WorkerRun[]> {
  const runs: WorkerRun[] = [];
  for (const workers of [1, 2]) {
    log(`WEB_CONCURRENCY=${workers} on all cores`);
    const service = await startChild('../src/main.ts', { ...serverEnv, WEB_CONCURRENCY: String(workers) }, `${serverUrl}/readyz`, { allCores: true });
    const memory = watchMemory(service);
    const tokens = await measureTokens(service, { baseUrl: serverUrl, ...machineClient, resourceServer: resourceServers.RS256 });
    log(`  client_credentials RS256: ${Math.round(tokens.perSecond)} req/s, p99 ${tokens.p99Ms} ms`);
    const logins = await loginScenario({ baseUrl: serverUrl, ...loginClient, ...user }, service);
    runs.push({ workers, tokens, logins, peakRssMb: memory.stop() });
    await service.stop();
  }
  return runs;
}

/** `--large`: the same figures after seeding a million accounts and a million tokens. */
async function largeScenario(prepared: Fixtures, small: SizeFigures): Promise<BenchResults['large']> {
  log(`seeding ${largeCount.toLocaleString('en-US')} accounts and ${largeCount.toLocaleString('en-US')} tokens`);
  const seeded = await seedLargeDatabase(prepared.serverEnv.DATABASE_URL!, prepared.user.email, prepared.loginClient.clientId, {
    accounts: largeCount,
    tokens: largeCount,
  });
  log(`  seeded in ${Math.round(seeded.seedSeconds)} s`);
  const service = await startChild('../src/main.ts', prepared.serverEnv, `${prepared.serverUrl}/readyz`);
  const large = await databaseSensitiveScenarios(service, prepared);
  await service.stop();
  return { seeded, small, large };
}

/**
 * `--profile`: the service runs under `node --cpu-prof` while it serves sign-ins (bcrypt cost 4
 * unless BCRYPT_COST is set), then client_credentials; the profile and a summary of self time per function and package in each
 * measured window go to bench/profiles/<time>/ (git-ignored). Nothing is compared, README untouched.
 */
async function profileRun({ serverEnv, serverUrl, loginClient, user, machineClient, resourceServers, config }: Fixtures): Promise<void> {
  const dir = path.join(import.meta.dirname, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const service = await startChild('../src/main.ts', serverEnv, `${serverUrl}/readyz`, { profileDir: dir });
  const windows: ProfileWindow[] = [];
  const measured = async <T extends { completed: number }>(label: string, measure: () => Promise<T>) => {
    const startMicros = monotonicMicros();
    const result = await withServerCpu(service, measure);
    windows.push({ label, startMicros, endMicros: monotonicMicros(), operations: result.completed });
    return result;
  };
  const loginTarget: LoginTarget = { baseUrl: serverUrl, ...loginClient, ...user };
  const logins = await loginScenario(loginTarget, service, measured);
  const tokenTarget = { baseUrl: serverUrl, ...machineClient, resourceServer: resourceServers.RS256 };
  log('client_credentials, RS256 access tokens');
  await checkTokenEndpoint(tokenTarget);
  await loadTokenEndpoint(tokenTarget, { seconds: warmup, connections: settings.BENCH_CONNECTIONS });
  const tokens = await measured('client_credentials RS256', () =>
    loadTokenEndpoint(tokenTarget, { seconds: settings.BENCH_SECONDS, connections: settings.BENCH_CONNECTIONS }),
  );
  await service.stop();
  const ceilings = await cryptoCeilings(config.bcryptCost);
  const profile = readdirSync(dir).find((file) => file.endsWith('.cpuprofile'));
  if (!profile) throw new Error(`the service wrote no .cpuprofile into ${dir}`);
  const header = [
    `# Profile of ${new Date().toISOString()}: ${machine.cpuModel}, ${layout.description}, load average ${loadAtStart.toFixed(1)} at the start`,
    `Server CPU (all threads, /proc, profiler overhead included): sign-in ${logins.cpuMs.toFixed(1)} ms, of which bcrypt cost ${ceilings.bcryptCost} alone takes ${ceilings.bcryptCompares.cpuMs.toFixed(1)} ms, so ${(logins.cpuMs - ceilings.bcryptCompares.cpuMs).toFixed(1)} ms outside the hash; client_credentials RS256 ${tokens.cpuMs.toFixed(2)} ms.`,
  ].join('\n\n');
  const report = `${header}\n\n${profileReport(summarizeProfile(path.join(dir, profile), windows))}\n`;
  writeFileSync(path.join(dir, 'summary.md'), report);
  console.log(`\n${report}`);
  log(`profile and summary in ${path.relative(projectRoot, dir)}/`);
}

async function fullRun(prepared: Fixtures): Promise<void> {
  const { config, serverEnv, serverUrl, machineClient, loginClient, resourceServers, user } = prepared;
  const service = await startChild('../src/main.ts', serverEnv, `${serverUrl}/readyz`);
  const loginTarget: LoginTarget = { baseUrl: serverUrl, ...loginClient, ...user };

  const tokens = await tokenScenarios(prepared, service);
  const ceilings = await cryptoCeilings(config.bcryptCost);
  log(`  ${ceilingsLine(ceilings)}`);
  const memory = watchMemory(service);
  const logins = await loginScenario(loginTarget, service);
  const refresh = await refreshScenario(service, loginTarget);
  const introspection = await introspectionScenario(service, loginTarget);
  const mixed = await mixedScenario({ baseUrl: serverUrl, ...machineClient, resourceServer: resourceServers.RS256 }, loginTarget);
  const peakRssMb = memory.stop();
  await service.stop();
  const workers = await workersScenario(prepared);
  const small: SizeFigures = { tokens: tokens.RS256.server, logins, refresh, introspection };
  const large = options.large ? await largeScenario(prepared, small) : undefined;
  await cleanUp();
  machine.loadAverage.end = loadavg()[0]!;

  const results: BenchResults = {
    date: new Date().toISOString().slice(0, 10),
    machine,
    settings,
    ceilings,
    tokens,
    logins,
    refresh,
    introspection,
    mixed,
    peakRssMb,
    workers,
    large,
  };
  console.log(`\n${resultsTable(results)}\n\n${ceilingsLine(ceilings)}\n\n${workersTable(results)}\n\n${largeTable(results) ?? ''}\n`);
  if (settings.BENCH_WRITE_README === '1') {
    writePerformanceSection(path.join(projectRoot, 'README.md'), results);
    log('figures written to README.md (## Performance)');
  }
}

try {
  log(`${machine.cpuModel}, nproc ${nproc}, Node ${machine.node}; ${layout.description}; load average ${loadAtStart.toFixed(1)}`);
  log('starting a throwaway PostgreSQL, registering clients, resource servers and a user, starting the service');
  // Profiling, the hash is made cheap (unless BCRYPT_COST says otherwise): what is left is the rest of the sign-in.
  const env = options.profile ? { BCRYPT_COST: String(profileBcryptCost), ...process.env } : process.env;
  fixtures = await prepareFixtures(env, settings.BENCH_LOG_LEVEL);
  await (options.profile ? profileRun(fixtures) : fullRun(fixtures));
} catch (error) {
  console.error(`[bench] failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
