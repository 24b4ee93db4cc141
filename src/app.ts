import path from 'node:path';
import Koa from 'koa';
import mount from 'koa-mount';
import serve from 'koa-static';
import { adminApi } from './admin/api/admin-api.router.ts';
import { adminApiRoutes } from './admin/api/admin-api.routes.ts';
import { adminCenterPages } from './admin/center/admin-center.pages.ts';
import { adminCenterRouter } from './admin/center/admin-center.router.ts';
import type { AdminPage } from './admin/center/page-kit.ts';
import { connectionTestRouter } from './federation/connection-test.router.ts';
import { federationRouter } from './federation/federation.router.ts';
import { CookieKeys } from './http/cookie-keys.ts';
import { errorHandler } from './http/error-handler.ts';
import { formBody, formBodyParser } from './http/form-body.ts';
import { healthRouter } from './http/health.router.ts';
import { requestBodyLimit } from './http/http-limits.ts';
import { requestContext } from './http/request-context.ts';
import { securityHeaders } from './http/security-headers.ts';
import { accountFactorPolicy } from './journey/account-factor-policy.ts';
import type { FactorPolicy } from './journey/factor-policy.ts';
import type { JourneyDeps } from './journey/flow.ts';
import { journeyRouter } from './journey/journey.router.ts';
import { interactionUrls } from './journey/urls.ts';
import type { Logger } from './log.ts';
import { devOutboxRouter } from './mail/dev-outbox.router.ts';
import type { ProviderHost } from './oidc/provider-host.ts';
import { providerRequestTransaction } from './oidc/request-transaction.ts';
import { provisioningPages } from './scim/provisioning.pages.ts';
import { scimApi } from './scim/scim.router.ts';
import { invitationRouter } from './self-service/invitations/invitation.router.ts';
import { accountFactorsRouter } from './self-service/my-account/account-factors.router.ts';
import { accountSessionsRouter } from './self-service/my-account/account-sessions.router.ts';
import { homeRouter } from './self-service/my-account/home.router.ts';
import { myAccountRouter } from './self-service/my-account/my-account.router.ts';
import { notMeRouter } from './self-service/not-me/not-me.router.ts';
import { recoveryRouter } from './self-service/recovery/recovery.router.ts';
import { signUpRouter } from './self-service/signup/signup.router.ts';
import type { Services } from './services.ts';
import { localeMiddleware } from './ui/locale.ts';

const assetsDir = path.resolve(import.meta.dirname, '..', 'views', 'assets');
const simpleWebAuthnBundleDir = path.resolve(import.meta.dirname, '..', 'node_modules', '@simplewebauthn', 'browser', 'dist', 'bundle');

/**
 * oidc-provider's endpoints for apps and APIs (token, introspection, revocation, keys, userinfo,
 * registration, PAR, device and CIBA requests, discovery): JSON only, never a page. Its page
 * endpoints (/auth, /session/end, /device) are not listed and take the full page stack.
 */
const machineEndpoints = ['/token', '/jwks', '/me', '/reg', '/request', '/device/auth', '/backchannel', '/.well-known'];

function isMachineEndpoint(requestPath: string): boolean {
  return machineEndpoints.some((prefix) => requestPath === prefix || requestPath.startsWith(`${prefix}/`));
}

/** Every admin center page: the admin module's, and the Provisioning tab of SCIM (which builds on admin). */
export const allAdminCenterPages = (services: Pick<Services, 'scim'>): AdminPage[] => [...adminCenterPages, ...provisioningPages(services.scim)];

export interface AppOptions {
  /** What a sign-in needs beyond its first factor (default: the account's factors and policies, src/factors). */
  factorPolicy?: FactorPolicy;
}

/** The sign-in journey's dependencies, from the services. */
function journeyDeps(services: Services, host: ProviderHost, options: AppOptions): JourneyDeps {
  const { accounts, hrd, federation, abuse, selfService, factors, db } = services;
  return {
    provider: () => host.provider,
    homeRealmDiscovery: hrd.homeRealmDiscovery,
    accounts: accounts.repository,
    accountService: accounts.service,
    loginLimiter: abuse.loginLimiter,
    signUpLimiter: abuse.signUpLimiter,
    ssoEnforcement: hrd.ssoEnforcement,
    consents: { record: (accountId, clientId, consent) => services.consents.record(services.db, accountId, clientId, consent) },
    federation: federation.service,
    socialSignIn: federation.socialSignIn,
    socialLinking: federation.socialLinking,
    socialEmailConfirmation: selfService.socialEmailConfirmation,
    signInMetrics: services.metrics,
    signInAudit: services.admin.signInAudit,
    factorPolicy: options.factorPolicy ?? accountFactorPolicy(factors.policy, { newDeviceCheck: services.config.newDeviceCheck, enrolment: factors.enrolment }),
    passkeys: factors.passkeys,
    factorConfirmation: factors.confirmation,
    devices: {
      remember: (accountId, deviceToken, userAgent, trust, locale = 'en') => factors.signIns.record(db, accountId, deviceToken, userAgent, trust, locale),
      sendCode: async (accountId, deviceToken, locale) =>
        factors.notices.deviceCode(accountId, await factors.devices.issueCode(accountId, deviceToken), locale),
    },
  };
}

/** Composition root of the HTTP side: our middleware and routes first, oidc-provider mounted last. */
export function createApp(services: Services, host: ProviderHost, logger: Logger, options: AppOptions = {}): Koa {
  // Behind the proxy, the client's address is the one the proxy appended to X-Forwarded-For (the
  // last); earlier entries come from the client and would let it pick its own rate-limit key.
  const app = new Koa({ proxy: services.config.trustProxy, maxIpsCount: 1 });
  app.keys = new CookieKeys(services.config.cookieSecrets);
  // Errors are rendered by errorHandler; Koa's default handler would only log them again.
  app.silent = true;

  if (services.config.metricsPort !== undefined) app.use(services.metrics.requestMiddleware());
  app.use(requestContext(logger));
  app.use(errorHandler(logger));
  app.use(requestBodyLimit(services.config.http));
  // Machine endpoints go straight to the provider: the page-only middleware below (page security
  // headers, locale, static assets, our routers) would cost every token request and add nothing.
  // An unknown path under these prefixes falls through to the page stack, and so to the 404 page.
  const machineEndpointsToProvider = host.middleware();
  app.use(providerRequestTransaction(services.oidc.requestTransactions));
  app.use((ctx, next) => {
    if (!isMachineEndpoint(ctx.path)) return next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    return machineEndpointsToProvider(ctx, next);
  });
  app.use(securityHeaders());
  app.use(localeMiddleware);
  app.use(mount('/assets', serve(assetsDir, { maxage: 3600_000 })));
  // The passkey pages' WebAuthn calls (views/assets/passkey.js): the library's own browser bundle.
  app.use(mount('/assets/simplewebauthn', serve(simpleWebAuthnBundleDir, { maxage: 3600_000 })));

  const health = healthRouter(services.db);
  app.use(health.routes());
  // The admin API: JSON, bearer tokens, the route table's roles.
  app.use(adminApi(adminApiRoutes, { issuer: services.config.issuer, admin: services.admin }));
  // The admin center's pages: the same services, its own sign-in as a relying party of this server.
  const adminCenter = adminCenterRouter({ admin: services.admin, signIn: services.admin.adminCenterSignIn }, allAdminCenterPages(services));
  app.use(adminCenter.routes()).use(adminCenter.allowedMethods());
  // SCIM 2.0 provisioning by an organization's IdP: its bearer token names the organization.
  app.use(scimApi(services.scim));

  const provider = () => host.provider;
  const { hrd, federation, abuse, selfService } = services;
  // Every step of a sign-in (email, password, company, social, consent) under /interaction/:uid.
  const journey = journeyRouter(journeyDeps(services, host, options));
  app.use(mount('/interaction', formBody));
  app.use(journey.routes()).use(journey.allowedMethods());

  // The URLs company IdPs and social providers call back (SAML posts large forms), leading back into the journey.
  const federationCallbacks = federationRouter({
    federation: federation.service,
    resumeUrl: ({ uid, appClientId, callbackId }) => interactionUrls.federatedResume({ uid, clientId: appClientId }, callbackId),
  });
  app.use(mount('/federation', formBodyParser('512kb')));
  app.use(federationCallbacks.routes()).use(federationCallbacks.allowedMethods());
  // A connection's test sign-in (draft mode): the upstream's answer is shown, nobody signs in.
  const connectionTests = connectionTestRouter({ federation: federation.service, setup: federation.connectionSetup, tickets: federation.testTickets });
  app.use(connectionTests.routes()).use(connectionTests.allowedMethods());
  // Account pages (each router parses its own forms and checks CSRF). The mail outbox page shows
  // live links: it does not exist in production.
  const accountPages = [
    homeRouter(),
    signUpRouter({ signUp: selfService.signUp, signUpLimiter: abuse.signUpLimiter }, provider),
    recoveryRouter(
      {
        config: services.config,
        recovery: selfService.recovery,
        forgotPasswordLimiter: abuse.forgotPasswordLimiter,
        ssoEnforcement: hrd.ssoEnforcement,
      },
      provider,
    ),
    invitationRouter(selfService.invitations),
    notMeRouter(selfService.notMe),
    accountFactorsRouter({ accountFactors: selfService.accountFactors, accounts: services.accounts.repository }, provider),
    accountSessionsRouter(selfService.accountSessions, provider),
    myAccountRouter(
      {
        issuer: services.config.issuer,
        myAccount: selfService.myAccount,
        socialSignIn: federation.socialSignIn,
        socialLinking: federation.socialLinking,
        federation: federation.service,
        isAdministrator: (accountId) => services.admin.isAdministrator(accountId),
      },
      provider,
    ),
  ];
  if (services.config.env !== 'production') accountPages.push(devOutboxRouter(services.mail));
  for (const router of accountPages) app.use(router.routes()).use(router.allowedMethods());

  app.use(host.middleware());
  return app;
}
