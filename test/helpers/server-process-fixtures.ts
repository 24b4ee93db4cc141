import { loadConfig } from '../../src/config.ts';
import { createDatabase, type Db } from '../../src/db/database.ts';
import { createLogger } from '../../src/log.ts';
import type { RunningServer } from '../../src/server.ts';
import { createServices } from '../../src/services.ts';
import { type ServerProcess, testSecretsEnv } from './processes.ts';

export interface ProcessFixtures {
  db: Db;
  /** What registerRelyingParty needs of a server, for one running as a child process. */
  server: RunningServer;
  close(): Promise<void>;
}

/** The services of a server child process, on its database and secrets: to register apps and accounts from the test. */
export function processFixtures(child: ServerProcess, databaseUrl: string): ProcessFixtures {
  const db = createDatabase(databaseUrl, createLogger('silent'), { maxConnections: 2 });
  const config = loadConfig(
    { NODE_ENV: 'test' },
    {
      cookieSecrets: [testSecretsEnv.COOKIE_SECRETS],
      keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET,
      passwordPeppers: [testSecretsEnv.PASSWORD_PEPPERS],
      issuer: child.url,
      databaseUrl,
    },
  );
  const server = { url: child.url, services: createServices(config, db) } as unknown as RunningServer;
  return { db, server, close: () => db.destroy() };
}
