import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { createDatabase, type Db } from './database.ts';
import { type RunningPostgres, startEmbeddedPostgres } from './embedded-postgres.ts';

/** Connects to DATABASE_URL, or runs the embedded PostgreSQL of DATA_DIR when it is unset. */
export async function connectDatabase(config: Config, logger: Logger): Promise<{ db: Db; embedded?: RunningPostgres }> {
  if (config.databaseUrl) return { db: createDatabase(config.databaseUrl, logger) };
  const embedded = await startEmbeddedPostgres(config.dataDir);
  return { db: createDatabase(embedded.url, logger), embedded };
}
