import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import type { FactorPolicy } from '../../src/journey/factor-policy.ts';
import type { Logger } from '../../src/log.ts';
import { type RunningServer, type StartOptions, startServer } from '../../src/server.ts';
import { createTestDatabase } from './database.ts';

export interface TestServerOptions {
  databaseUrl?: string;
  overrides?: Record<string, unknown>;
  /** To capture log lines (createLogger(level, destination)). */
  logger?: Logger;
  /** What a sign-in needs beyond its first factor (a recording or demanding stand-in). */
  factorPolicy?: FactorPolicy;
  /** The issuer's host name (default 127.0.0.1); `localhost` for WebAuthn, which browsers refuse on an IP address. */
  issuerHost?: string;
  /** Stands in for members of the services, passed to startServer before anything uses them. */
  services?: StartOptions['services'];
}

export const testSecrets = {
  cookieSecrets: ['test-cookie-secret-0123456789abcdefghijklmnop'],
  keyEncryptionSecret: 'test-key-encryption-secret-0123456789abcdef',
  passwordPeppers: ['process-test-password-pepper-0123456789abcdef'],
};

/** Starts the real server on a loopback port, on its own database unless one is given (to share it). */
export async function startTestServer(options: TestServerOptions = {}): Promise<RunningServer & { databaseUrl: string }> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = loadConfig(
    { NODE_ENV: 'test' },
    {
      ...testSecrets,
      issuer: `http://${options.issuerHost ?? '127.0.0.1'}:${port}`,
      databaseUrl,
      dataDir: mkdtempSync(path.join(tmpdir(), 'signin-data-')),
      ...options.overrides,
    },
  );
  const running = await startServer(config, {
    server,
    logger: options.logger,
    services: options.services,
    ...(options.factorPolicy ? { factorPolicy: options.factorPolicy } : {}),
  });
  return { ...running, databaseUrl };
}
