/**
 * Reads a `node --cpu-prof` profile of the server and sums self time (where the main thread was
 * when sampled) per function and per package, inside a time window of the bench, so that start-up
 * and warm-up are left out. bcrypt hashes on libuv's thread pool, which V8 does not sample: what is
 * left of it here (its JS wrapper) is listed apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds of the monotonic clock (process.hrtime's). */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Monotonic microseconds, the clock the profile's timestamps use. */
export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

export interface ProfileWindow {
  label: string;
  startMicros: number;
  endMicros: number;
  /** Operations completed in the window: figures are per operation. */
  operations: number;
}

export interface SelfTime {
  name: string;
  msPerOperation: number;
  /** Share of the main thread's busy time in the window. */
  share: number;
}

export interface WindowSummary {
  label: string;
  operations: number;
  /** Main-thread time per operation that was not idle (JS, GC, native work on that thread). */
  busyMsPerOperation: number;
  bcryptMsPerOperation: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

const projectRoot = path.resolve(import.meta.dirname, '..');
const idle = '(idle)';

function isBcrypt(frame: CallFrame): boolean {
  return frame.url.includes('/node_modules/bcrypt/');
}

/** `node_modules/<package>`, `node:<builtin>`, our own folder (`src/journey`), or V8's own bucket. */
function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return url.split('/')[0]!;
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.dirname(path.relative(projectRoot, file));
}

function functionOf(frame: CallFrame): string {
  const { url, functionName, lineNumber } = frame;
  if (!url) return functionName || '(anonymous)';
  const file = url.startsWith('file://') ? path.relative(projectRoot, new URL(url).pathname) : url;
  return `${functionName || '(anonymous)'} ${file.replace(/^node_modules\//, '')}:${lineNumber + 1}`;
}

function top(totals: Map<string, number>, busyMicros: number, operations: number, limit: number): SelfTime[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, micros]) => ({ name, msPerOperation: micros / 1000 / operations, share: micros / busyMicros }));
}

export function summarizeProfile(file: string, windows: ProfileWindow[], limit = 25): WindowSummary[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  return windows.map((window) => {
    const byFunction = new Map<string, number>();
    const byPackage = new Map<string, number>();
    let busyMicros = 0;
    let bcryptMicros = 0;
    let at = profile.startTime;
    // timeDeltas[i] is the time from the previous sample to sample i: it counts for sample i's frame.
    for (let i = 0; i < profile.samples.length; i++) {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (at < window.startMicros || at > window.endMicros) continue;
      const frame = frames.get(profile.samples[i]!);
      if (!frame || frame.functionName === idle) continue;
      busyMicros += delta;
      if (isBcrypt(frame)) {
        bcryptMicros += delta;
        continue;
      }
      const name = functionOf(frame);
      byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
      const pkg = packageOf(frame);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + delta);
    }
    const operations = Math.max(1, window.operations);
    return {
      label: window.label,
      operations: window.operations,
      busyMsPerOperation: busyMicros / 1000 / operations,
      bcryptMsPerOperation: bcryptMicros / 1000 / operations,
      functions: top(byFunction, busyMicros, operations, limit),
      packages: top(byPackage, busyMicros, operations, limit),
    };
  });
}

function selfTimeTable(title: string, rows: SelfTime[]): string {
  const lines = rows.map((row) => `| ${row.name.replaceAll('|', '\\|')} | ${row.msPerOperation.toFixed(3)} | ${(row.share * 100).toFixed(1)} % |`);
  return [`| ${title} | ms per operation | share |`, '| --- | --- | --- |', ...lines].join('\n');
}

export function profileReport(summaries: WindowSummary[]): string {
  return summaries
    .map((summary) =>
      [
        `## ${summary.label}: ${summary.operations} operations`,
        `Main thread busy ${summary.busyMsPerOperation.toFixed(2)} ms per operation (bcrypt's JS wrapper ${summary.bcryptMsPerOperation.toFixed(3)} ms; the hash itself runs on the thread pool, unsampled).`,
        selfTimeTable('Package or folder (self time)', summary.packages),
        selfTimeTable('Function (self time, outside bcrypt)', summary.functions),
      ].join('\n\n'),
    )
    .join('\n\n');
}
