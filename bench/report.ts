import { readFileSync, writeFileSync } from 'node:fs';
import type { CryptoCeilings } from './crypto-ceilings.ts';
import type { LoginStats } from './login-driver.ts';
import type { BenchSettings } from './settings.ts';
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

export interface BenchResults {
  date: string;
  machine: Machine;
  settings: BenchSettings;
  ceilings: CryptoCeilings;
  tokens: Record<'RS256' | 'ES256', { server: WithCpu<LoadResult>; bare: WithCpu<LoadResult> }>;
  logins: WithCpu<LoginStats>;
  mixed: { alone: LoadResult; withLogins: LoadResult; logins: LoginStats };
}

/** The goals of the performance issue: what each figure is judged against. */
const goals = { rs256PerCore: 1500, es256PerCore: 3000, ofBare: 0.8, ofBcrypt: 0.9 };

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
      `bcrypt cost ${ceilings.bcryptCost} alone: ${rate(bcrypt.perSecond)} compares/s, CPU ${cpu(bcrypt.cpuMs)} (${perCore(bcrypt.cpuMs)})`,
      `${ratio(ofBcrypt)} (by CPU ${ratio(bcrypt.cpuMs / logins.cpuMs)})`,
      `≥ ${goals.ofBcrypt} × bcrypt: ${verdicts(ofBcrypt >= goals.ofBcrypt, bcrypt.cpuMs / logins.cpuMs >= goals.ofBcrypt)}`,
    ],
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
allows on the same cores; (d) token latency at a fixed offered rate with and without sign-ins
running, since bcrypt and WebCrypto share libuv's thread pool (the password hasher caps concurrent
hashes at \`UV_THREADPOOL_SIZE\` - 2). Settings: \`BENCH_SECONDS\` (per scenario, default 10),
\`BENCH_CONNECTIONS\`, \`BENCH_LOGIN_CONCURRENCY\`, \`BENCH_MIXED_RATE\`, \`BENCH_LOG_LEVEL\`,
\`BENCH_WRITE_README=0\`.

${machineLine(results)}

${resultsTable(results)}

${[ceilingsLine(results.ceilings), ...ceilingNotes(results)].join('\n\n')}

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
