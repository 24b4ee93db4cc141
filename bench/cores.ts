import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where each side runs. With two cores or more and `taskset` (util-linux), the load generator
 * (this process, and the PostgreSQL it starts) keeps core 0 and every server gets core 1 alone,
 * so "per server core" figures mean one core. Otherwise everything shares all cores.
 */
export interface CoreLayout {
  pinned: boolean;
  serverCores: number;
  description: string;
  /** Prefixes a command so that it runs on the server core. */
  serverCommand(command: string, args: string[]): { command: string; args: string[] };
  /** Prefixes a command so that it may run on every core (this process's pinning is inherited otherwise). */
  allCoresCommand(command: string, args: string[]): { command: string; args: string[] };
}

const loadCore = 0;
const serverCore = 1;

function tasksetWorks(): boolean {
  return spawnSync('taskset', ['-c', String(serverCore), 'true'], { stdio: 'ignore' }).status === 0;
}

/** Pins this process (all its threads) to the load core; children started afterwards inherit it. */
function pinSelf(): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', String(loadCore), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

export function arrangeCores(): CoreLayout {
  const cores = availableParallelism();
  if (cores >= 2 && tasksetWorks() && pinSelf()) {
    return {
      pinned: true,
      serverCores: 1,
      description: `server pinned to core ${serverCore}; load generator and PostgreSQL on core ${loadCore}`,
      serverCommand: (command, args) => ({ command: 'taskset', args: ['-c', String(serverCore), command, ...args] }),
      allCoresCommand: (command, args) => ({ command: 'taskset', args: ['-c', `0-${cores - 1}`, command, ...args] }),
    };
  }
  const reason = cores < 2 ? 'a single core' : 'taskset unavailable';
  return {
    pinned: false,
    serverCores: cores,
    description: `unpinned (${reason}): server, load generator and PostgreSQL share ${cores} core(s)`,
    serverCommand: (command, args) => ({ command, args }),
    allCoresCommand: (command, args) => ({ command, args }),
  };
}
