import { afterAll, beforeAll } from 'vitest';
import type { RunningServer } from '../../src/server.ts';
import { cliRunner, testSecretsEnv } from './processes.ts';
import { startTestServer } from './test-server.ts';

/**
 * A test server and the CLI on its database, with the same secrets and issuer (what an operator's
 * machine has): started before the file's tests, stopped after them.
 */
export function serverWithCli() {
  let server: RunningServer & { databaseUrl: string };
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer({
      overrides: { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET },
    });
    env = { NODE_ENV: 'test', DATABASE_URL: server.databaseUrl, ISSUER: server.services.config.issuer, ...testSecretsEnv };
  });
  afterAll(() => server?.close());
  return { server: () => server, ...cliRunner(() => env) };
}
