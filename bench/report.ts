import { readFileSync, writeFileSync } from 'node:fs';
import type { CryptoCeilings } from './crypto-ceilings.ts';
import type { LoginStats } from './login-driver.ts';
import { type BenchSettings, mixedConnections } from './settings.ts';
import type { LoadResult } from './token-load.ts';

export interface Machine {
  cpuModel: string;
  nproc: number;
  node: string;
  layout: string;
  serverCores: number;
  /** One-minute load average when the bench started and ended: above nproc, other work competed. */
  loadAverage: { start: number; end: number };
}

/** A result with the server's CPU time per operation (all threads), the figure noise barely moves. */
export type WithCpu<T> = T & { cpuMs: number };

/** The figures a database's size could move: compared between the small and the `--large` database. */
export interface SizeFigures {
  tokens: WithCpu<LoadResult>;
  logins: WithCpu<LoginStats>;
  refresh: WithCpu<LoadResult>;
  introspection: WithCpu<LoadResult>;
}

export interface WorkerRun {
  workers: number;
  tokens: WithCpu<LoadResult>;
  logins: WithCpu<LoginStats>;
  peakRssMb: number[];
}

export interface BenchResults {
  date: string;
  machine: Machine;
  settings: BenchSettings;
  ceilings: CryptoCeilings;
  tokens: Record<'RS256' | 'ES256', { server: WithCpu<LoadResult>; bare: WithCpu<LoadResult> }>;
  logins: WithCpu<LoginStats>;
  refresh: WithCpu<LoadResult>;
  introspection: WithCpu<LoadResult>;
  mixed: { alone: LoadResult; withLogins: LoadResult; logins: LoginStats };
  /** Peak resident memory of the one server process through (c) to (d). */
  peakRssMb: number[];
  workers: WorkerRun[];
  large?: { seeded: { accounts: number; tokens: number; seedSeconds: number }; small: SizeFigures; large: SizeFigures };
}

/** The goals of the performance issue: what each figure is judged against. */
const goals = { rs256PerCore: 1500, es256PerCore: 3000, ofBare: 0.9, ofBcrypt: 0.9, outsideHashMs: 5, rssMb: 200, largeWithin: 0.1 };

const count = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const rate = (value: number) => (value >= 100 ? count(value) : value.toFixed(1));
const ms = (value: number) => (Number.isFinite(value) ? `${value >= 10 ? Math.round(value) : value.toFixed(1)} ms` : 'n/a');
const ratio = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const cpu = (cpuMs: number) => (Number.isFinite(cpuMs) ? `${cpuMs >= 10 ? Math.round(cpuMs) : cpuMs.toFixed(2)} ms` : 'n/a');
/** Operations one core could do if it did nothing else: 1 s of CPU divided by the CPU per operation. */
const perCore = (cpuMs: number) => `${rate(1000 / cpuMs)}/s per core`;
const verdict = (met: boolean) => (met ? 'met' : '**not met**');
/** Judged on measured throughput, and on CPU time, which a busy machine distorts far less. */
const verdicts = (measured: boolean, byCpu: boolean) => `${verdict(measured)} (by CPU ${verdict(byCpu)})`;

function failures(result: { failures: number }): string {
  return result.failures ? ` (${result.failures} failed)` : '';
}

function tokenRow(label: string, results: BenchResults['tokens']['RS256'], goalPerCore: number, serverCores: number): string[] {
  const { server, bare } = results;
  const ofBare = server.perSecond / bare.perSecond;
  return [
    label,
    `${count(server.perSecond)} req/s${failures(server)}`,
    ms(server.p50Ms),
    ms(server.p99Ms),
    `${cpu(server.cpuMs)} (${perCore(server.cpuMs)})`,
    `bare oidc-provider: ${count(bare.perSecond)} req/s, p50 ${ms(bare.p50Ms)}, p99 ${ms(bare.p99Ms)}, CPU ${cpu(bare.cpuMs)} (${perCore(bare.cpuMs)})`,
    `${ratio(ofBare)} (by CPU ${ratio(bare.cpuMs / server.cpuMs)})`,
    `≥ ${count(goalPerCore)}/s per server core: ${verdicts(server.perSecond / serverCores >= goalPerCore, 1000 / server.cpuMs >= goalPerCore)}; ≥ ${goals.ofBare} × bare: ${verdicts(ofBare >= goals.ofBare, bare.cpuMs / server.cpuMs >= goals.ofBare)}`,
  ];
}

const tableRow = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (header: string[], rows: string[][]) => [header, header.map(() => '---'), ...rows].map(tableRow).join('\n');

function plainRow(label: string, unit: string, result: WithCpu<LoadResult>): string[] {
  return [
    label,
    `${count(result.perSecond)} ${unit}/s${failures(result)}`,
    ms(result.p50Ms),
    ms(result.p99Ms),
    `${cpu(result.cpuMs)} (${perCore(result.cpuMs)})`,
    '',
    '',
    '',
  ];
}

const megabytes = (values: number[]) => (values.length ? values.map((value) => `${Math.round(value)} MB`).join(', ') : 'n/a');

export function memoryLine(results: BenchResults): string {
  const peaks = [results.peakRssMb, ...results.workers.map((run) => run.peakRssMb)].flat();
  return `Resident memory (VmRSS) per serving process under load, at its peak: ${megabytes(results.peakRssMb)} through (c) to (f) on the server core; ${results.workers
    .map((run) => `${megabytes(run.peakRssMb)} with WEB_CONCURRENCY=${run.workers}`)
    .join('; ')}. Goal ≤ ${goals.rssMb} MB per worker: ${verdict(peaks.length > 0 && peaks.every((peak) => peak <= goals.rssMb))}.`;
}

export function workersTable(results: BenchResults): string {
  return table(
    ['WEB_CONCURRENCY (all cores, shared with the load generator and PostgreSQL)', 'client_credentials RS256', 'p99', 'Sign-ins', 'p99', 'Peak RSS per worker'],
    results.workers.map((run) => [
      String(run.workers),
      `${count(run.tokens.perSecond)} req/s${failures(run.tokens)}`,
      ms(run.tokens.p99Ms),
      `${rate(run.logins.perSecond)} logins/s${failures(run.logins)}`,
      ms(run.logins.p99Ms),
      megabytes(run.peakRssMb),
    ]),
  );
}

export function largeTable(results: BenchResults): string | undefined {
  if (!results.large) return undefined;
  const { seeded, small, large } = results.large;
  const row = (label: string, unit: string, before: WithCpu<LoadResult | LoginStats>, after: WithCpu<LoadResult | LoginStats>) => {
    const byThroughput = after.perSecond / before.perSecond;
    const byCpu = before.cpuMs / after.cpuMs;
    return [
      label,
      `${rate(before.perSecond)} ${unit}/s, p99 ${ms(before.p99Ms)}, CPU ${cpu(before.cpuMs)}`,
      `${rate(after.perSecond)} ${unit}/s${failures(after)}, p99 ${ms(after.p99Ms)}, CPU ${cpu(after.cpuMs)}`,
      `${ratio(byThroughput)} (by CPU ${ratio(byCpu)})`,
      `within ${goals.largeWithin * 100} %: ${verdicts(byThroughput >= 1 - goals.largeWithin, byCpu >= 1 - goals.largeWithin)}`,
    ];
  };
  return table(
    [
      `Scenario, ${count(seeded.accounts)} accounts and ${count(seeded.tokens)} stored tokens (seeded in ${Math.round(seeded.seedSeconds)} s)`,
      'Small database',
      'Large database',
      'Large / small',
      'Goal',
    ],
    [
      row('client_credentials RS256', 'req', small.tokens, large.tokens),
      row('Sign-ins', 'logins', small.logins, large.logins),
      row('refresh_token grants', 'refreshes', small.refresh, large.refresh),
      row('Introspection', 'req', small.introspection, large.introspection),
    ],
  );
}

export function resultsTable(results: BenchResults): string {
  const { ceilings, logins, mixed, machine, settings } = results;
  const bcrypt = ceilings.bcryptCompares;
  const ofBcrypt = logins.perSecond / bcrypt.perSecond;
  const rows = [
    ['Scenario', 'Throughput', 'p50', 'p99', 'Server CPU per operation', 'Reference', 'Ratio', 'Goal'],
    ['---', '---', '---', '---', '---', '---', '---', '---'],
    tokenRow('(a) client_credentials, RS256 JWT access token', results.tokens.RS256, goals.rs256PerCore, machine.serverCores),
    tokenRow('(b) client_credentials, ES256 JWT access token', results.tokens.ES256, goals.es256PerCore, machine.serverCores),
    [
      `(c) authorization-code login, ${Number.isInteger(logins.requestsPerLogin) ? logins.requestsPerLogin : ratio(logins.requestsPerLogin)} requests each, PKCE, ${settings.BENCH_LOGIN_CONCURRENCY} loops`,
      `${rate(logins.perSecond)} logins/s${failures(logins)}`,
      ms(logins.p50Ms),
      ms(logins.p99Ms),
      `${cpu(logins.cpuMs)} (${perCore(logins.cpuMs)})`,
      `bcrypt cost ${ceilings.bcryptCost} alone: ${rate(bcrypt.perSecond)} compares/s, CPU ${cpu(bcrypt.cpuMs)} (${perCore(bcrypt.cpuMs)}); outside the hash: ${cpu(logins.cpuMs - bcrypt.cpuMs)} CPU`,
      `${ratio(ofBcrypt)} (by CPU ${ratio(bcrypt.cpuMs / logins.cpuMs)})`,
      `≥ ${goals.ofBcrypt} × bcrypt: ${verdicts(ofBcrypt >= goals.ofBcrypt, bcrypt.cpuMs / logins.cpuMs >= goals.ofBcrypt)}; ≤ ${goals.outsideHashMs} ms CPU outside the hash: ${verdict(logins.cpuMs - bcrypt.cpuMs <= goals.outsideHashMs)}`,
    ],
    plainRow(`(e) refresh_token grants, rotating, ${mixedConnections} app sessions side by side`, 'refreshes', results.refresh),
    plainRow(`(f) introspection of an opaque access token by its app, ${settings.BENCH_CONNECTIONS} connections`, 'req', results.introspection),
    [
      `(d) client_credentials RS256 at ${settings.BENCH_MIXED_RATE} req/s offered, no logins`,
      `${count(mixed.alone.perSecond)} req/s${failures(mixed.alone)}`,
      ms(mixed.alone.p50Ms),
      ms(mixed.alone.p99Ms),
      '',
      '',
      '',
      '',
    ],
    [
      `(d) the same while ${settings.BENCH_LOGIN_CONCURRENCY} login loops run (${rate(mixed.logins.perSecond)} logins/s${failures(mixed.logins)})`,
      `${count(mixed.withLogins.perSecond)} req/s${failures(mixed.withLogins)}`,
      ms(mixed.withLogins.p50Ms),
      ms(mixed.withLogins.p99Ms),
      '',
      `p99 without logins: ${ms(mixed.alone.p99Ms)}`,
      `${ratio(mixed.withLogins.p99Ms / mixed.alone.p99Ms)} (p99)`,
      '',
    ],
  ];
  return rows.map(tableRow).join('\n');
}

export function ceilingsLine(ceilings: CryptoCeilings): string {
  const { rs256Signs, es256Signs, bcryptCompares } = ceilings;
  return `Ceilings of the server core alone (no HTTP, same code paths): RS256 ${count(rs256Signs.perSecond)} signatures/s (${cpu(rs256Signs.cpuMs)} CPU each), ES256 ${count(es256Signs.perSecond)} signatures/s (${cpu(es256Signs.cpuMs)}), both through WebCrypto as jose signs; bcrypt cost ${ceilings.bcryptCost} ${rate(bcryptCompares.perSecond)} compares/s (${cpu(bcryptCompares.cpuMs)}) through PasswordHasher with its concurrency cap.`;
}

function machineLine(results: BenchResults): string {
  const { machine, settings } = results;
  const { start, end } = machine.loadAverage;
  // The bench loads every core itself, so only the load before it started tells of other work.
  const busy = start > 1 ? ' (other work was running: throughput and latency are noisy, CPU per operation much less so)' : '';
  return `Measured ${results.date} on ${machine.cpuModel}, nproc ${machine.nproc}, Node ${machine.node}; ${machine.layout}; load average ${start.toFixed(1)} before the run${busy}, ${end.toFixed(1)} at its end (the bench's own load); ${settings.BENCH_SECONDS} s per scenario after a warm-up, ${settings.BENCH_CONNECTIONS} connections for (a) and (b), server log level \`${settings.BENCH_LOG_LEVEL}\`.`;
}

/** Goals no server could meet on this machine: one core signs fewer tokens than asked, even without HTTP. */
function ceilingNotes(results: BenchResults): string[] {
  const { ceilings, machine } = results;
  const notes: string[] = [];
  if (ceilings.rs256Signs.perSecond < goals.rs256PerCore) {
    notes.push(
      `The RS256 goal (${count(goals.rs256PerCore)}/s per core) is above what one core here signs at all (${count(ceilings.rs256Signs.perSecond)} RS256 signatures/s, no HTTP).`,
    );
  }
  if (ceilings.es256Signs.perSecond < goals.es256PerCore) {
    notes.push(
      `The ES256 goal (${count(goals.es256PerCore)}/s per core) is above what one core here signs at all (${count(ceilings.es256Signs.perSecond)} ES256 signatures/s).`,
    );
  }
  return machine.serverCores === 1 ? notes : [];
}

function performanceSection(results: BenchResults): string {
  return `## Performance

\`npm run bench\` measures the service on loopback in a few minutes and stops by itself. It starts a
throwaway embedded PostgreSQL and the server (\`node src/main.ts\`, production mode), registers a
confidential client, an RS256 and an ES256 resource server and a user, then measures: (a)/(b)
client_credentials requests for JWT access tokens, against a bare oidc-provider (in-memory adapter,
static client, same keys) started the same way as the reference; (c) complete sign-ins (\`/auth\`,
sign-in page, POST with \`_csrf\`, \`/auth\` resume, \`/token\` with PKCE) against what bcrypt alone
allows on the same cores (the difference is the CPU spent outside the hash); (d) token latency at a
fixed offered rate with and without sign-ins running, since bcrypt and WebCrypto share libuv's
thread pool (the password hasher caps concurrent hashes at \`UV_THREADPOOL_SIZE\` - 2); (e)
refresh-token grants, each app session rotating its token; (f) introspection; the peak resident
memory of each serving process; (g) throughput with \`WEB_CONCURRENCY\` 1 and 2, the service free to
use both cores. \`--large\` then seeds 1,000,000 accounts and 1,000,000 stored tokens in SQL and
measures the database-sensitive figures again. Sign-ins skip the mailed new-device code
(\`NEW_DEVICE_CHECK=false\`: every measured login is a fresh browser). Settings: \`BENCH_SECONDS\`
(per scenario, default 10), \`BENCH_CONNECTIONS\`, \`BENCH_LOGIN_CONCURRENCY\`, \`BENCH_MIXED_RATE\`,
\`BENCH_LOG_LEVEL\`, \`BENCH_WRITE_README=0\`.

\`npm run bench -- --profile\` instead runs the service under \`node --cpu-prof\` through sign-ins
(at bcrypt cost 4 unless \`BCRYPT_COST\` is set, so the hash hides nothing) and client_credentials,
and writes the profile and a summary of self time per function and package in each measured window
to \`bench/profiles/\` (git-ignored; open the .cpuprofile in Chrome DevTools). The sampled time is
the main thread's wall time while not idle: on one pinned core it includes time lost to the
thread pool (bcrypt, WebCrypto) and other processes, so system calls look dearer than they are.

${machineLine(results)}

${resultsTable(results)}

${[ceilingsLine(results.ceilings), ...ceilingNotes(results)].join('\n\n')}

${memoryLine(results)}

${workersTable(results)}

${largeTable(results) ?? 'The database-size comparison (`npm run bench -- --large`) was not part of this run.'}

"Server CPU per operation" is the CPU time the server process (all its threads) used per request or
login, read from /proc; "per core" is one second divided by it. "by CPU" compares and judges those
figures, which other work on the machine distorts far less than requests per second.

The password cost is \`BCRYPT_COST\` (default 10, 4 to 15). Raising it costs nothing at once:
a stored hash with a lower cost is upgraded to the configured cost the next time its owner signs in.
`;
}

/** Replaces the README's `## Performance` section (up to the next `## ` heading), or appends it. */
export function writePerformanceSection(readmePath: string, results: BenchResults): void {
  const readme = readFileSync(readmePath, 'utf8');
  const section = performanceSection(results);
  const start = readme.search(/^## Performance\s*$/m);
  if (start === -1) {
    writeFileSync(readmePath, `${readme.trimEnd()}\n\n${section}`);
    return;
  }
  const rest = readme.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next === -1 ? readme.length : start + 1 + next;
  writeFileSync(readmePath, `${readme.slice(0, start)}${section}${next === -1 ? '' : `\n${readme.slice(end)}`}`);
}
