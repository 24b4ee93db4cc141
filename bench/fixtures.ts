import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../src/config.ts';
import { createDatabase } from '../src/db/database.ts';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { createLogger } from '../src/log.ts';
import { createServices } from '../src/services.ts';

export const callbackUrl = 'http://127.0.0.1:9/callback';

export interface BenchResourceServer {
  identifier: string;
  scope: string;
  alg: 'RS256' | 'ES256';
}

export interface Fixtures {
  /** The environment `node src/main.ts` runs with (production mode, throwaway secrets). */
  serverEnv: NodeJS.ProcessEnv;
  config: Config;
  serverUrl: string;
  issuer: string;
  /** A confidential client_credentials client (the machine-to-machine case). */
  machineClient: { clientId: string; clientSecret: string };
  /** A confidential first-party app for the login journey (no consent page). */
  loginClient: { clientId: string; clientSecret: string };
  resourceServers: Record<'RS256' | 'ES256', BenchResourceServer>;
  user: { email: string; password: string };
  dispose(): Promise<void>;
}

const secret = () => randomBytes(32).toString('base64url');

/**
 * A throwaway embedded PostgreSQL in a temp folder, migrated, with the clients, resource servers
 * and user registered through the same services the CLI uses.
 */
export async function prepareFixtures(env: NodeJS.ProcessEnv, logLevel: string): Promise<Fixtures> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'signin-bench-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  const postgres = await startEmbeddedPostgres(dataDir, { persistent: false }).catch((error: unknown) => {
    removeDataDir();
    throw error;
  });
  try {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    const serverEnv: NodeJS.ProcessEnv = {
      ...env,
      NODE_ENV: 'production',
      ISSUER: issuer,
      PORT: String(port),
      DATABASE_URL: postgres.url,
      DATA_DIR: dataDir,
      LOG_LEVEL: logLevel,
      COOKIE_SECRETS: secret(),
      KEY_ENCRYPTION_SECRET: secret(),
      PASSWORD_PEPPERS: secret(),
      // Production requires a mail server; the measured journeys send no mail, so nothing listens there.
      SMTP_URL: 'smtp://127.0.0.1:2',
      // Every measured sign-in is a fresh browser: without this each would stop at the mailed new-device
      // code. The device lookup and the record of the sign-in still run, as for a returning browser.
      NEW_DEVICE_CHECK: 'false',
    };
    const config = loadConfig(serverEnv);
    const db = createDatabase(postgres.url, createLogger('silent'), { maxConnections: 2 });
    try {
      await migrateToLatest(db);
      const services = createServices(config, db);
      const resourceServers = {
        RS256: { identifier: 'https://rs256.api.bench.test/', scope: 'read write', alg: 'RS256' },
        ES256: { identifier: 'https://es256.api.bench.test/', scope: 'read write', alg: 'ES256' },
      } as const;
      for (const server of Object.values(resourceServers)) {
        await services.oidc.resourceServers.register({
          identifier: server.identifier,
          name: `Bench ${server.alg} API`,
          scopes: server.scope.split(' '),
          signingAlg: server.alg,
        });
      }
      const machine = await services.oidc.clients.create(services.db, {
        name: 'Bench machine client',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        allowedResources: Object.values(resourceServers).map((server) => server.identifier),
      });
      const app = await services.oidc.clients.create(services.db, {
        name: 'Bench app',
        redirectUris: [callbackUrl],
        grantTypes: ['authorization_code', 'refresh_token'],
        firstParty: true,
      });
      const user = { email: 'bench.user@example.com', password: 'bench password 0123456789' };
      await services.accounts.service.createAccount({ ...user, name: 'Bench User', emailVerified: true });
      return {
        serverEnv,
        config,
        serverUrl: `http://127.0.0.1:${port}`,
        issuer,
        machineClient: { clientId: machine.clientId, clientSecret: machine.clientSecret! },
        loginClient: { clientId: app.clientId, clientSecret: app.clientSecret! },
        resourceServers,
        user,
        async dispose() {
          await postgres.stop();
          removeDataDir();
        },
      };
    } finally {
      await db.destroy();
    }
  } catch (error) {
    await postgres.stop();
    removeDataDir();
    throw error;
  }
}

export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}
