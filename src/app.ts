import path from 'node:path';
import Koa from 'koa';
import mount from 'koa-mount';
import serve from 'koa-static';
import { accountRouter } from './account/account.router.ts';
import { homeRouter } from './account/home.router.ts';
import { federationRouter } from './federation/federation.router.ts';
import { errorHandler } from './http/error-handler.ts';
import { formBody, formBodyParser } from './http/form-body.ts';
import { healthRouter } from './http/health.router.ts';
import { requestContext } from './http/request-context.ts';
import { securityHeaders } from './http/security-headers.ts';
import { federatedInteractionRouter } from './interaction/federated.router.ts';
import { interactionRouter } from './interaction/interaction.router.ts';
import { socialInteractionRouter } from './interaction/social.router.ts';
import { invitationRouter } from './invitations/invitation.router.ts';
import type { Logger } from './log.ts';
import { devOutboxRouter } from './mail/dev-outbox.router.ts';
import type { ProviderHost } from './oidc/provider-host.ts';
import { recoveryRouter } from './recovery/recovery.router.ts';
import type { Services } from './services.ts';
import { signUpRouter } from './signup/signup.router.ts';
import { localeMiddleware } from './ui/locale.ts';

const assetsDir = path.resolve(import.meta.dirname, '..', 'views', 'assets');

/**
 * oidc-provider's endpoints for apps and APIs (token, introspection, revocation, keys, userinfo,
 * registration, PAR, device and CIBA requests, discovery): JSON only, never a page. Its page
 * endpoints (/auth, /session/end, /device) are not listed and take the full page stack.
 */
const machineEndpoints = ['/token', '/jwks', '/me', '/reg', '/request', '/device/auth', '/backchannel', '/.well-known'];

function isMachineEndpoint(requestPath: string): boolean {
  return machineEndpoints.some((prefix) => requestPath === prefix || requestPath.startsWith(`${prefix}/`));
}

/** Composition root of the HTTP side: our middleware and routes first, oidc-provider mounted last. */
export function createApp(services: Services, host: ProviderHost, logger: Logger): Koa {
  const app = new Koa({ proxy: services.config.trustProxy });
  app.keys = [...services.config.cookieSecrets];
  // Errors are rendered by errorHandler; Koa's default handler would only log them again.
  app.silent = true;

  app.use(requestContext(logger));
  app.use(errorHandler(logger));
  // Machine endpoints go straight to the provider: the page-only middleware below (page security
  // headers, locale, static assets, our routers) would cost every token request and add nothing.
  // An unknown path under these prefixes falls through to the page stack, and so to the 404 page.
  const machineEndpointsToProvider = host.middleware();
  app.use((ctx, next) => {
    if (!isMachineEndpoint(ctx.path)) return next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    return machineEndpointsToProvider(ctx, next);
  });
  app.use(securityHeaders());
  app.use(localeMiddleware);
  app.use(mount('/assets', serve(assetsDir, { maxage: 3600_000 })));

  const health = healthRouter(services.db);
  app.use(health.routes());

  const provider = () => host.provider;
  const interactions = interactionRouter(services, provider);
  app.use(mount('/interaction', formBody));
  app.use(interactions.routes()).use(interactions.allowedMethods());

  // Enterprise sign-in: the federated interaction step, and the URLs upstream IdPs call back (SAML posts large forms).
  const federated = federatedInteractionRouter(services, () => host.provider);
  app.use(federated.routes()).use(federated.allowedMethods());
  // Social sign-in buttons (configured providers); their answers come back through the same federation URLs.
  const social = socialInteractionRouter(services, provider);
  app.use(social.routes()).use(social.allowedMethods());
  const federation = federationRouter(services);
  app.use(mount('/federation', formBodyParser('512kb')));
  app.use(federation.routes()).use(federation.allowedMethods());
  // Account pages (each router parses its own forms and checks CSRF). The mail outbox page shows
  // live links: it does not exist in production.
  const accountPages = [
    homeRouter(),
    signUpRouter(services, provider),
    recoveryRouter(services, provider),
    invitationRouter(services),
    accountRouter(services, provider),
  ];
  if (services.config.env !== 'production') accountPages.push(devOutboxRouter(services));
  for (const router of accountPages) app.use(router.routes()).use(router.allowedMethods());

  app.use(host.middleware());
  return app;
}
