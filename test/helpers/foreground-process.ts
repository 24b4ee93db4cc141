import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A real peer a test runs in the foreground (nginx, Apache) with its files in a temp folder of its own. */
export class ForegroundProcess {
  readonly url: string;
  protected readonly child: ChildProcess;
  protected readonly dir: string;
  /** What it wrote on stderr. */
  protected stderr = '';

  protected constructor(child: ChildProcess, dir: string, url: string) {
    this.child = child;
    this.dir = dir;
    this.url = url;
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
