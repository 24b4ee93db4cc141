import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.ts';
import { type RunningPostgres, startEmbeddedPostgres } from './db/embedded-postgres.ts';
import type { Logger } from './log.ts';
import { clusterMetrics, startMetricsServer } from './metrics/metrics-server.ts';

/** A worker that dies sooner than this after its start counts as a failed start: the next one waits longer. */
const healthyAfterMs = 10_000;
const maxRestartDelayMs = 30_000;
/** Workers drain their requests in at most 10 s (main.ts); past this they are killed. */
const drainTimeoutMs = 15_000;

export interface ClusterPrimary {
  /** SIGTERM to every worker, waits for them to drain and exit, then stops the embedded PostgreSQL. */
  close(): Promise<void>;
}

/**
 * The primary of `WEB_CONCURRENCY` workers sharing the port (node:cluster). It serves no request
 * (only the workers' metrics added up, with METRICS_PORT):
 * it starts the embedded PostgreSQL once for all workers (when DATABASE_URL is unset), keeps
 * `config.webConcurrency` workers running (a crashed one is replaced, with a growing delay while
 * they keep dying at start) and drains them all on stop. Background work in the workers (purge,
 * mail sender, key refresh) is claimed in PostgreSQL, so N workers behave like N instances.
 */
export async function startClusterPrimary(config: Config, logger: Logger): Promise<ClusterPrimary> {
  const embedded: RunningPostgres | undefined = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir);
  const workerEnv = embedded ? { DATABASE_URL: embedded.url } : {};
  let stopping = false;
  let restartDelayMs = 1000;
  const startedAt = new Map<Worker, number>();
  let announced = false;

  const fork = () => {
    const worker = cluster.fork(workerEnv);
    startedAt.set(worker, Date.now());
  };

  const listening = new Set<Worker>();
  cluster.on('listening', (worker) => {
    listening.add(worker);
    logger.info({ workerPid: worker.process.pid }, 'worker listening');
    if (!announced && listening.size === config.webConcurrency) {
      announced = true;
      logger.info({ workers: config.webConcurrency }, 'all workers listening');
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    listening.delete(worker);
    if (stopping) return;
    restartDelayMs = lived >= healthyAfterMs ? 1000 : Math.min(restartDelayMs * 2, maxRestartDelayMs);
    const delayMs = lived >= healthyAfterMs ? 0 : restartDelayMs;
    logger.error({ workerPid: worker.process.pid, code, signal, restartInMs: delayMs }, 'worker exited: starting another');
    setTimeout(() => stopping || fork(), delayMs);
  });

  for (let i = 0; i < config.webConcurrency; i++) fork();
  const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer(config.metricsPort, clusterMetrics());
  logger.info({ workers: config.webConcurrency, pid: process.pid }, 'cluster primary started');

  return {
    async close() {
      stopping = true;
      await metricsServer?.close();
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      const exits = workers.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
      for (const worker of workers) worker.process.kill('SIGTERM');
      const killTimer = setTimeout(() => {
        for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
      }, drainTimeoutMs);
      await Promise.all(exits);
      clearTimeout(killTimer);
      await embedded?.stop();
    },
  };
}
