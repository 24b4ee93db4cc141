import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Services } from '../services.ts';
import { DatabaseStatsRepository } from './database-stats.repository.ts';
import { type MetricsServer, registryMetrics, startMetricsServer } from './metrics-server.ts';

/**
 * With METRICS_PORT set: process, queue and database gauges, and the endpoint serving them. A
 * cluster worker only hands its registry to the primary, which serves every worker's metrics.
 */
export async function enableMetrics(services: Services, metricsPort: number): Promise<MetricsServer | undefined> {
  const { metrics } = services;
  const databaseStats = new DatabaseStatsRepository(services.db);
  metrics.collectProcessMetrics();
  metrics.watchQueues([{ name: 'mail', read: () => services.outgoingMails.pendingStats() }]);
  metrics.watchDatabaseConnections(() => databaseStats.connectionsByState());
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([metrics.registry]);
    return undefined;
  }
  return startMetricsServer(metricsPort, registryMetrics(metrics.registry));
}
