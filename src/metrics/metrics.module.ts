import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Db } from '../db/database.ts';
import { pendingQueueStats } from '../db/queue-stats.ts';
import type { OutgoingMailRepository } from '../mail/outgoing-mail.repository.ts';
import { DatabaseStatsRepository } from './database-stats.repository.ts';
import { type MetricsServer, registryMetrics, startMetricsServer } from './metrics-server.ts';
import type { ServiceMetrics } from './service-metrics.ts';

export interface MetricsSources {
  metrics: ServiceMetrics;
  db: Db;
  outgoingMails: OutgoingMailRepository;
}

/**
 * With METRICS_PORT set: process, queue and database gauges, and the endpoint serving them. A
 * cluster worker only hands its registry to the primary, which serves every worker's metrics.
 */
export async function enableMetrics({ metrics, db, outgoingMails }: MetricsSources, metricsPort: number): Promise<MetricsServer | undefined> {
  const databaseStats = new DatabaseStatsRepository(db);
  metrics.collectProcessMetrics();
  metrics.watchQueues([
    { name: 'mail', read: () => outgoingMails.pendingStats() },
    { name: 'logout', read: () => pendingQueueStats(db, 'logout_deliveries') },
  ]);
  metrics.watchDatabaseConnections(() => databaseStats.connectionsByState());
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([metrics.registry]);
    return undefined;
  }
  return startMetricsServer(metricsPort, registryMetrics(metrics.registry));
}
