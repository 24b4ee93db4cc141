import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How a sign-in was made: password, federated (enterprise SAML/OIDC), social, or a later factor's name. */
export type SignInMethod = string;
/** success, or why it did not complete (failure: wrong credentials or a refused upstream answer). */
export type SignInOutcome = 'success' | 'failure';

/** What the journey's single completion point (and the steps that refuse a sign-in) report. */
export interface SignInMetrics {
  record(method: SignInMethod, outcome: SignInOutcome): void;
}

/** A queue in PostgreSQL worth watching: how many items wait, and how long the oldest has waited. */
export interface QueueProbe {
  name: string;
  read(): Promise<{ depth: number; oldestAgeSeconds: number }>;
}

/** Seconds: sign-in pages and token requests take milliseconds to a second; bcrypt adds ~50 ms. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric of one server, in its own registry (several servers share a test process). With
 * WEB_CONCURRENCY workers, the primary adds up the workers' registries (prom-client's
 * AggregatorRegistry); gauges read from PostgreSQL describe the whole fleet, so they aggregate by max.
 */
export class ServiceMetrics implements SignInMetrics {
  readonly registry = new Registry();
  readonly #requestDuration = new Histogram({
    name: 'signin_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly #signIns = new Counter({
    name: 'signin_sign_ins_total',
    help: 'Sign-ins by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #tokens = new Counter({
    name: 'signin_tokens_issued_total',
    help: 'Successful token endpoint grants by grant type',
    labelNames: ['grant'] as const,
    registers: [this.registry],
  });
  readonly #rateLimited = new Counter({
    name: 'signin_rate_limit_refusals_total',
    help: 'Requests refused by a rate limit (429), by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  record(method: SignInMethod, outcome: SignInOutcome): void {
    this.#signIns.inc({ method, outcome });
  }

  /** Process metrics (CPU, memory, event-loop lag, GC) of this process; servers only, not the CLI. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** Queue depths and ages, read from PostgreSQL at each scrape. */
  watchQueues(probes: QueueProbe[]): void {
    const read = () => Promise.all(probes.map(async (probe) => ({ name: probe.name, ...(await probe.read()) })));
    let latest: ReturnType<typeof read> | undefined;
    // One read per scrape serves both gauges.
    const readOnce = () => {
      latest ??= read().finally(() => setTimeout(() => (latest = undefined), 100).unref());
      return latest;
    };
    new Gauge({
      name: 'signin_queue_depth',
      help: 'Items waiting in a queue (mail, logout)',
      labelNames: ['queue'] as const,
      aggregator: 'max',
      registers: [this.registry],
      async collect() {
        for (const queue of await readOnce()) this.set({ queue: queue.name }, queue.depth);
      },
    });
    new Gauge({
      name: 'signin_queue_oldest_age_seconds',
      help: 'Age of the oldest item waiting in a queue (0 when empty)',
      labelNames: ['queue'] as const,
      aggregator: 'max',
      registers: [this.registry],
      async collect() {
        for (const queue of await readOnce()) this.set({ queue: queue.name }, queue.oldestAgeSeconds);
      },
    });
  }

  /** Connections to the database by state, as PostgreSQL sees them (every instance's pools together). */
  watchDatabaseConnections(read: () => Promise<Array<{ state: string; count: number }>>): void {
    new Gauge({
      name: 'signin_db_connections',
      help: "Connections to the service's database by state (active, idle, idle in transaction), all instances",
      labelNames: ['state'] as const,
      aggregator: 'max',
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { state, count } of await read()) this.set({ state }, count);
      },
    });
  }

  /** Counts the grants the provider completes; called for every provider instance (one per key generation). */
  observeProvider(provider: Provider): void {
    provider.on('grant.success', (ctx: Context) => {
      const grant = (ctx.oidc?.params?.grant_type as string | undefined) ?? 'unknown';
      this.#tokens.inc({ grant });
    });
  }

  /**
   * Times every request by its route template (our routers' and the provider's), never the raw
   * path: paths carry uids and would make a series per request.
   */
  requestMiddleware() {
    return async (ctx: Context, next: Next): Promise<void> => {
      const stopTimer = this.#requestDuration.startTimer();
      try {
        await next();
      } finally {
        const route = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
        const labels = { route: typeof route === 'string' ? route : 'unmatched', method: ctx.method, status: String(ctx.status) };
        stopTimer(labels);
        if (ctx.status === 429) this.#rateLimited.inc({ route: labels.route });
      }
    };
  }
}
