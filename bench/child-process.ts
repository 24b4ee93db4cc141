import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreLayout } from './cores.ts';

export interface PinnedChild {
  process: ChildProcess;
  /** The last lines the child wrote to stderr, to explain a failure. */
  stderrTail(): string;
  /** CPU seconds the child and its live descendants (cluster workers) have used so far, all threads; NaN where /proc is unavailable. */
  cpuSeconds(): number;
  /** Resident memory in MB of each process serving requests: the workers under WEB_CONCURRENCY > 1, else the child. */
  workerRssMb(): number[];
  stop(): Promise<void>;
}

/**
 * Starts `node <script>` on the server core; stdout is dropped unless `captureStdout` is set.
 * `profileDir` profiles it (`node --cpu-prof`): the .cpuprofile is written there when it exits.
 */
export function startOnServerCore(
  layout: CoreLayout,
  script: string,
  env: NodeJS.ProcessEnv,
  options: { captureStdout?: boolean; profileDir?: string; allCores?: boolean } = {},
): PinnedChild {
  const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const place = options.allCores ? layout.allCoresCommand : layout.serverCommand;
  const { command, args } = place(process.execPath, [...nodeArgs, script]);
  const child = spawn(command, args, { env, stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    stderrTail: () => stderr.trim(),
    cpuSeconds: () => processTree(child.pid).reduce((total, pid) => total + processCpuSeconds(pid), 0),
    workerRssMb() {
      const [primary, ...workers] = processTree(child.pid);
      return (workers.length ? workers : primary === undefined ? [] : [primary]).map(residentMb);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const clockTicksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * utime + stime from /proc/<pid>/stat. CPU time per request does not depend on what else the
 * machine is running, unlike requests per second, so it is the steadier figure on a busy machine.
 */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/** `pid` and its descendants, from the parent pids in /proc. */
function processTree(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Exited meanwhile.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  return tree;
}

function residentMb(pid: number): number {
  try {
    const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kilobytes ? Number(kilobytes) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Polls `url` until it answers 200, failing early with the child's stderr if the child dies. */
export async function waitUntilReady(child: PinnedChild, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`${url} never came up: the process exited (${child.process.exitCode}).\n${child.stderrTail()}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${timeoutMs / 1000} s.\n${child.stderrTail()}`);
}

/** Runs a script on the server core to completion and parses the JSON it prints. */
export async function runOnServerCore<T>(layout: CoreLayout, script: string, env: NodeJS.ProcessEnv): Promise<T> {
  const child = startOnServerCore(layout, script, env, { captureStdout: true });
  let stdout = '';
  child.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.process.once('close', resolve));
  if (code !== 0) throw new Error(`${script} failed (${code}).\n${child.stderrTail()}`);
  return JSON.parse(stdout) as T;
}
