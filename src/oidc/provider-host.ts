import type { Context, Next } from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { Logger } from '../log.ts';

/**
 * Holds the live oidc-provider instance. oidc-provider fixes its key set at construction, so when
 * the published keys or their order change (`keys rotate`, a new generation starting to sign, an
 * old one unpublished; seen by polling a fingerprint), a new instance with the same adapter and
 * cookie keys replaces it: sessions and tokens carry on.
 */
export class ProviderHost {
  #provider: Provider;
  #mounted: (ctx: Context, next: Next) => Promise<void>;
  #fingerprint: string;
  #timer: NodeJS.Timeout | undefined;
  #refreshing = false;

  constructor(provider: Provider, fingerprint: string) {
    this.#provider = provider;
    this.#mounted = mount(provider) as (ctx: Context, next: Next) => Promise<void>;
    this.#fingerprint = fingerprint;
  }

  get provider(): Provider {
    return this.#provider;
  }

  middleware() {
    return (ctx: Context, next: Next) => this.#mounted(ctx, next);
  }

  replace(provider: Provider, fingerprint: string): void {
    this.#provider = provider;
    this.#mounted = mount(provider) as (ctx: Context, next: Next) => Promise<void>;
    this.#fingerprint = fingerprint;
  }

  /** Rebuilds the provider when the published keys changed; a tick during a slow refresh is skipped. */
  async refresh(readFingerprint: () => Promise<string>, build: () => Promise<{ provider: Provider; fingerprint: string }>): Promise<boolean> {
    if (this.#refreshing) return false;
    this.#refreshing = true;
    try {
      if ((await readFingerprint()) === this.#fingerprint) return false;
      const next = await build();
      this.replace(next.provider, next.fingerprint);
      return true;
    } finally {
      this.#refreshing = false;
    }
  }

  startPolling(intervalMs: number, logger: Logger, refresh: () => Promise<boolean>): void {
    this.#timer = setInterval(() => {
      refresh()
        .then((changed) => changed && logger.info({ keys: this.#fingerprint }, 'signing keys changed: provider reloaded'))
        .catch((error: unknown) => logger.error({ err: error }, 'signing key refresh failed'));
    }, intervalMs);
    this.#timer.unref();
  }

  stopPolling(): void {
    clearInterval(this.#timer);
  }
}
