import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDatabase } from '../../src/db/database.ts';
import { freePort, type RunningPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { migrateToLatest } from '../../src/db/migrator.ts';
import { createLogger } from '../../src/log.ts';

/**
 * A PostgreSQL of the test file's own (not the run's shared one), migrated, that the test can stop
 * (a fast shutdown: sessions are terminated, as in a restart) and start again on the same port.
 */
export class OwnPostgres {
  readonly #dataDir: string;
  readonly #port: number;
  #running: RunningPostgres | undefined;
  url = '';

  private constructor(dataDir: string, port: number) {
    this.#dataDir = dataDir;
    this.#port = port;
  }

  static async start(): Promise<OwnPostgres> {
    const postgres = new OwnPostgres(mkdtempSync(path.join(tmpdir(), 'signin-own-pg-')), await freePort());
    await postgres.start();
    const db = createDatabase(postgres.url, createLogger('silent'), { maxConnections: 1 });
    await migrateToLatest(db);
    await db.destroy();
    return postgres;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  async start(): Promise<void> {
    this.#running = await startEmbeddedPostgres(this.#dataDir, { port: this.#port });
    this.url = this.#running.url;
  }

  async stop(): Promise<void> {
    await this.#running?.stop();
    this.#running = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
