import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppOptions, createApp } from './app.ts';
import type { Config } from './config.ts';
import { connectDatabase } from './db/connection.ts';
import { scheduleDailyJobs } from './db/daily-jobs.ts';
import type { Db } from './db/database.ts';
import { migrateToLatest } from './db/migrator.ts';
import { SamlMaintenanceJob } from './federation/saml/saml-maintenance.job.ts';
import { applyHttpLimits, httpServerOptions } from './http/http-limits.ts';
import { deviceTokenOf } from './journey/device-cookie.ts';
import { interactionUrls, refOf } from './journey/urls.ts';
import { createLogger, type Logger } from './log.ts';
import { createMailDelivery } from './mail/mail-delivery.ts';
import { MailSender } from './mail/mail-sender.ts';
import { enableMetrics } from './metrics/metrics.module.ts';
import { ensureAdminApiResource } from './oidc/admin-api-resource.ts';
import { LogoutSender } from './oidc/logout/logout-sender.ts';
import { purgeExpiredModels } from './oidc/postgres-adapter.ts';
import { createProvider } from './oidc/provider.ts';
import { ProviderHost } from './oidc/provider-host.ts';
import { ensureSigningKeys, keyRotationPolicy, loadPublishedKeys, rotateSigningKeysIfDue, signingKeysFingerprint } from './oidc/signing-keys.ts';
import { DomainRecheckJob } from './orgs/domain-recheck.job.ts';
import { createServices, type Services } from './services.ts';

export interface RunningServer {
  url: string;
  server: Server;
  services: Services;
  host: ProviderHost;
  /** The Prometheus endpoint, with METRICS_PORT (outside a cluster worker). */
  metricsUrl?: string;
  logger: Logger;
  close(): Promise<void>;
}

async function buildProvider(services: Services, logger: Logger) {
  const { keys, fingerprint } = await loadPublishedKeys(services.db, services.secretBox);
  const { config, oidc, accounts, consents } = services;
  const provider = createProvider({
    config,
    requestTransactions: oidc.requestTransactions,
    clients: oidc.clients,
    resourceServers: oidc.resourceServers,
    signOut: oidc.signOut,
    accounts: accounts.repository,
    consents,
    signingKeys: keys,
    logger,
    sessionSignedIn: (ctx, session) =>
      oidc.sessionDevices.record(oidc.requestTransactions.executor, session.uid, session.accountId, deviceTokenOf(ctx), ctx.get('user-agent')),
    interactionUrl: (interaction) => interactionUrls.signIn(refOf(interaction)),
  });
  services.metrics.observeProvider(provider);
  // Mounted, the provider sees the app's context; set here too for anything reading its own app.proxy.
  provider.proxy = config.trustProxy;
  return { provider, fingerprint };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts everything: database (and migrations), signing keys, provider, HTTP. `server` lets a
 * caller that must know the port before choosing the issuer (tests) pass one already listening;
 * `logger` lets tests capture the log lines; `factorPolicy` decides what a sign-in needs beyond its first factor.
 */
export interface StartOptions extends AppOptions {
  server?: Server;
  db?: Db;
  logger?: Logger;
  /** Replaces members of the services before anything uses them (tests standing in for a part). */
  services?: (services: Services) => Services;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const { db, embedded } = options.db ? { db: options.db, embedded: undefined } : await connectDatabase(config, logger);
  await migrateToLatest(db);
  const created = createServices(config, db);
  const services = options.services ? options.services(created) : created;
  await ensureSigningKeys(db, services.secretBox);
  await ensureAdminApiResource(db, config.issuer);

  const built = await buildProvider(services, logger);
  const host = new ProviderHost(built.provider, built.fingerprint);
  const rotationPolicy = keyRotationPolicy(config);
  host.startPolling(config.keyRefreshSeconds * 1000, logger, async () => {
    const rotated = await rotateSigningKeysIfDue(db, services.secretBox, rotationPolicy, config.keyRotationDays);
    if (rotated) logger.info({ next: rotated }, 'signing keys rotated on schedule (KEY_ROTATION_DAYS)');
    return host.refresh(
      () => signingKeysFingerprint(db),
      () => buildProvider(services, logger),
    );
  });

  const purgeTimer = setInterval(() => {
    purgeExpiredModels(db, config.purge.batchSize).catch((error: unknown) => logger.error({ err: error }, 'purge failed'));
    services.federation.service.purgeExpired().catch((error: unknown) => logger.error({ err: error }, 'federation purge failed'));
    services.accounts.linkTokens.purgeExpired(db).catch((error: unknown) => logger.error({ err: error }, 'link token purge failed'));
    services.oidc.sessionDevices.purgeEnded(db).catch((error: unknown) => logger.error({ err: error }, 'session device purge failed'));
    services.admin.auditLog.purgeOlderThan(db, config.auditRetentionDays).catch((error: unknown) => logger.error({ err: error }, 'audit purge failed'));
  }, config.purge.intervalSeconds * 1000);
  purgeTimer.unref();
  const stopDailyJobs = scheduleDailyJobs(
    db,
    [
      { name: DomainRecheckJob.jobName, run: () => services.sso.domainRecheck.run() },
      { name: SamlMaintenanceJob.jobName, run: () => services.sso.samlMaintenance.run() },
    ],
    logger,
  );

  const mailSender = new MailSender(db, services.mail.outgoingMails, services.mail.outbox, createMailDelivery(config, logger), config.mail, logger);
  mailSender.start();
  const logoutSender = new LogoutSender({
    db,
    deliveries: services.oidc.logoutDeliveries,
    provider: () => host.provider,
    settings: config.backchannelLogout,
    logger,
  });
  logoutSender.start();

  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await enableMetrics({ metrics: services.metrics, db, outgoingMails: services.mail.outgoingMails }, config.metricsPort);
  const app = createApp(services, host, logger, options);
  const server = options.server ?? createServer(httpServerOptions(config.http));
  applyHttpLimits(server, config.http);
  server.on('request', app.callback());
  if (!server.listening) await listen(server, config.port);
  const { port } = server.address() as AddressInfo;
  logger.info({ port, issuer: config.issuer }, 'sign-in service listening');

  return {
    url: `http://127.0.0.1:${port}`,
    server,
    services,
    host,
    logger,
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
    async close() {
      await metricsServer?.close();
      host.stopPolling();
      clearInterval(purgeTimer);
      stopDailyJobs();
      await mailSender.stop();
      await logoutSender.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections finishing a request after close() would otherwise idle until their keep-alive timeout.
      const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      await closed;
      clearInterval(idleSweep);
      if (!options.db) await db.destroy();
      await embedded?.stop();
    },
  };
}
