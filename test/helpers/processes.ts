import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';

export const projectRoot = path.resolve(import.meta.dirname, '..', '..');
/** Node 24 from devDependencies: the system node cannot run the .ts sources. */
export const nodeBinary = path.join(projectRoot, 'node_modules', '.bin', 'node');

export const testSecretsEnv = {
  COOKIE_SECRETS: 'process-test-cookie-secret-0123456789abcdef',
  KEY_ENCRYPTION_SECRET: 'process-test-key-encryption-secret-0123456789',
  // The same as testSecrets' (test-server.ts): the CLI and an in-process server check each other's password hashes.
  PASSWORD_PEPPERS: 'process-test-password-pepper-0123456789abcdef',
};

/** Only what the child needs: nothing of the test runner's environment (NODE_ENV, DATABASE_URL...) leaks in. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` from the project root to completion. */
export function runNode(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, args, { cwd: projectRoot, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `npm start` as an operator runs it: `node src/main.ts`, JSON log lines on stdout. */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stdout = '';
  stderr = '';
  readonly #exited: Promise<number | null>;

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.url = `http://127.0.0.1:${port}`;
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(port: number, env: Record<string, string>): Promise<ServerProcess> {
    const child = spawn(nodeBinary, ['src/main.ts'], {
      cwd: projectRoot,
      // Every request of a test is a browser never seen before: no mailed new-device code (as in config/test.json).
      env: childEnv({ PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, NEW_DEVICE_CHECK: 'false', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, port);
    await server.waitForLog((line) => line.msg === 'sign-in service listening', 90_000);
    return server;
  }

  /** The complete stdout lines parsed as JSON; a line that is not JSON fails the test. */
  get logLines(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async waitForLog(matches: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.#exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      const line = this.logLines.find(matches);
      if (line) return line;
      if (exitCode !== undefined) throw new Error(`server exited (${exitCode}):\n${this.stdout}\n${this.stderr}`);
      await sleep(100);
    }
    throw new Error(`log line not seen in ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the exit code; SIGKILLs the process when it does not exit in time. */
  async exited(timeoutMs = 20_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.signal('SIGTERM');
    return this.exited();
  }
}

/** The postmaster of an embedded cluster in `dataDir`, if one is running. */
export function postmasterPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Waits until no postmaster serves `dataDir` (PostgreSQL removes postmaster.pid as its last step). */
export async function waitForNoPostmaster(dataDir: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (postmasterPid(dataDir) === undefined) return true;
    await sleep(100);
  }
  return false;
}

/** Runs the CLI as a child process with `env`; `json` also expects success and parses the output. */
export function cliRunner(env: () => Record<string, string>) {
  const cli = (...args: string[]): Promise<Finished> => runNode(['src/cli/main.ts', ...args], env());
  async function cliJson<T>(...args: string[]): Promise<T> {
    const result = await cli(...args, '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as T;
  }
  return { cli, cliJson };
}
