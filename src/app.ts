import path from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import mount from 'koa-mount';
import serve from 'koa-static';
import { federationRouter } from './federation/federation.router.ts';
import { errorHandler } from './http/error-handler.ts';
import { healthRouter } from './http/health.router.ts';
import { requestContext } from './http/request-context.ts';
import { securityHeaders } from './http/security-headers.ts';
import { federatedInteractionRouter } from './interaction/federated.router.ts';
import { interactionRouter } from './interaction/interaction.router.ts';
import { socialInteractionRouter } from './interaction/social.router.ts';
import type { Logger } from './log.ts';
import type { ProviderHost } from './oidc/provider-host.ts';
import type { Services } from './services.ts';
import { localeMiddleware } from './ui/locale.ts';

const assetsDir = path.resolve(import.meta.dirname, '..', 'views', 'assets');

/** Composition root of the HTTP side: our middleware and routes first, oidc-provider mounted last. */
export function createApp(services: Services, host: ProviderHost, logger: Logger): Koa {
  const app = new Koa({ proxy: false });
  app.keys = [...services.config.cookieSecrets];
  // Errors are rendered by errorHandler; Koa's default handler would only log them again.
  app.silent = true;

  app.use(requestContext(logger));
  app.use(errorHandler(logger));
  app.use(securityHeaders());
  app.use(localeMiddleware);
  app.use(mount('/assets', serve(assetsDir, { maxage: 3600_000 })));

  const health = healthRouter(services.db);
  app.use(health.routes());

  // Body parsing only for our own routes: oidc-provider parses its endpoints' bodies itself.
  const interactions = interactionRouter(services, () => host.provider);
  app.use(mount('/interaction', bodyParser({ enableTypes: ['form'], formLimit: '64kb' })));
  app.use(interactions.routes()).use(interactions.allowedMethods());

  // Enterprise sign-in: the federated interaction step, and the URLs upstream IdPs call back (SAML posts large forms).
  const federated = federatedInteractionRouter(services, () => host.provider);
  app.use(federated.routes()).use(federated.allowedMethods());
  // Social sign-in buttons (configured providers); their answers come back through the same federation URLs.
  const social = socialInteractionRouter(services, () => host.provider);
  app.use(social.routes()).use(social.allowedMethods());
  const federation = federationRouter(services);
  app.use(mount('/federation', bodyParser({ enableTypes: ['form'], formLimit: '512kb' })));
  app.use(federation.routes()).use(federation.allowedMethods());

  app.use(host.middleware());
  return app;
}
