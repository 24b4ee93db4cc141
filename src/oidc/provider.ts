import type { JWK } from 'jose';
import type { Context } from 'koa';
import Provider, { type Configuration, errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config.ts';
import type { ConsentRepository } from '../consents/consent.repository.ts';
import { addConsentToGrant } from '../consents/consent.ts';
import { DatabaseUnavailableError } from '../db/database-unavailable.ts';
import type { TransactionScope } from '../db/transaction-scope.ts';
import { acrValues } from '../factors/assurance.ts';
import { CookieKeys } from '../http/cookie-keys.ts';
import type { Logger } from '../log.ts';
import { clientView } from '../ui/client-view.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import { accountClaims } from './account-claims.ts';
import { accountClient } from './account-client.ts';
import { adminCenterClient } from './admin-center-client.ts';
import type { ClientRepository } from './client.repository.ts';
import { checkRegistration, registrationPolicyName } from './dynamic-registration.ts';
import type { SignOutService } from './logout/sign-out.service.ts';
import { createAdapterFactory } from './postgres-adapter.ts';
import type { ResourceServerRegistry } from './resource-servers.ts';
import { signInAssuranceClaims } from './sign-in-assurance-claims.ts';
import { signingAlgorithms } from './signing-keys.ts';
import { stepUpInteractionPolicy } from './step-up-policy.ts';

export interface ProviderDependencies {
  config: Config;
  /** The adapter works in the transaction of the token request it serves (see providerRequestTransaction). */
  requestTransactions: TransactionScope;
  clients: ClientRepository;
  accounts: AccountRepository;
  consents: ConsentRepository;
  resourceServers: ResourceServerRegistry;
  signOut: SignOutService;
  signingKeys: JWK[];
  logger: Logger;
  /** A sign-in has just resumed into this session, in the request's transaction (My account lists sessions with their browser). */
  sessionSignedIn: (ctx: Context, session: { uid: string; accountId: string }) => Promise<void>;
  /** The first page of an interaction (the sign-in journey builds every interaction URL). */
  interactionUrl: (interaction: { uid: string; params: { client_id?: unknown } }) => string;
}

const allowedResources = (client: unknown): string[] => (client as { allowed_resources?: string[] }).allowed_resources ?? [];
const isFirstParty = (client: unknown) => (client as { first_party?: boolean } | undefined)?.first_party === true;
/** RFC 9700 and OAuth 2.1: S256 PKCE from every client; only a confidential one registered with --pkce-optional may omit it. */
const pkceRequired = (client: { clientAuthMethod?: string | undefined }) =>
  client.clientAuthMethod === 'none' || (client as { pkce_optional?: boolean }).pkce_optional !== true;

/** The one oidc-provider configuration of the service. */
export function createProvider({
  config,
  requestTransactions,
  clients,
  accounts,
  consents,
  resourceServers,
  signOut,
  signingKeys,
  logger,
  sessionSignedIn,
  interactionUrl,
}: ProviderDependencies): Provider {
  const { ttl } = config;
  // Step-up (acr_values above the session's level asks for the login again), then prompt=create.
  const interactionPrompts = [...stepUpInteractionPolicy(), new interactionPolicy.Prompt({ name: 'create', requestable: true })];
  const configuration: Configuration = {
    // oidc-provider does not publish the prompts it takes: RPs look for `create` here (Prompt Create 1.0).
    discovery: { prompt_values_supported: ['none', ...interactionPrompts.filter((prompt) => prompt.requestable).map((prompt) => prompt.name)] },
    adapter: createAdapterFactory(requestTransactions, clients),
    jwks: { keys: signingKeys as NonNullable<Configuration['jwks']>['keys'] },
    cookies: { keys: new CookieKeys(config.cookieSecrets) },
    claims: {
      // acr and amr: how the person signed in (completeSignIn's login result), in every ID token.
      openid: ['sub', 'acr', 'amr'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'locale'],
    },
    async findAccount(_ctx, sub) {
      const account = await accounts.findById(sub);
      // A disabled account gets no token: codes and refresh tokens issued before stop working too.
      if (!account || account.disabled_at) return undefined;
      return { accountId: account.id, claims: () => accountClaims(account) };
    },
    // When the person signed in, in every ID token (merged into oidc-provider's client defaults),
    // and with acr in JWT access tokens and introspection (RFC 9470).
    clientDefaults: { require_auth_time: true },
    extraTokenClaims: signInAssuranceClaims,
    // 'none' only for the account page's own client (account-client.ts), which needs a session, not tokens.
    responseTypes: ['code', 'none'],
    clients: [accountClient(config.issuer), adminCenterClient(config)],
    // domain_hint: the app knows the user's company, so home-realm discovery can skip the email page.
    extraParams: ['domain_hint'],
    extraClientMetadata: { properties: ['first_party', 'allowed_resources', 'pkce_optional'] },
    // oidc-provider accepts S256 only: `plain` is always refused.
    pkce: { required: (_ctx, client) => pkceRequired(client) },
    interactions: {
      // prompt=create (OpenID Connect Prompt Create 1.0): listed in discovery; the journey opens the
      // sign-up page and the completed sign-in resolves it.
      policy: interactionPrompts,
      url: (_ctx, interaction) => interactionUrl(interaction),
    },
    // Weakest to strongest (src/factors/assurance.ts): acr_values_supported in discovery.
    acrValues: [...acrValues],
    features: {
      devInteractions: { enabled: false },
      // A client may introspect or revoke only the tokens issued to it.
      introspection: { enabled: true, allowedPolicy: (_ctx, caller, token) => token.clientId === caller.clientId },
      revocation: { enabled: true, allowedPolicy: (_ctx, caller, token) => token.clientId === caller.clientId },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      // RFC 7591 / 7592: only with an initial access token (`clients initial-access-token`), each
      // carrying the registration rules; the registration access token then reads, updates, deletes.
      registration: {
        enabled: true,
        initialAccessToken: true,
        policies: { [registrationPolicyName]: (_ctx, properties) => checkRegistration(properties) },
        issueRegistrationAccessToken: true,
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          const client = ctx.oidc.client && clientView(ctx.oidc.client, ctx.oidc.issuer);
          renderPage(
            ctx as unknown as Context,
            'interaction/logout',
            { form, client },
            { locale: localeFor(ctx as unknown as Context, ctx.oidc.params?.ui_locales) },
          );
        },
        postLogoutSuccessSource(ctx) {
          const client = ctx.oidc.client && clientView(ctx.oidc.client, ctx.oidc.issuer);
          renderPage(ctx as unknown as Context, 'interaction/logged-out', { client }, { locale: localeFor(ctx as unknown as Context) });
        },
      },
      // Client metadata backchannel_logout_uri / _session_required and the discovery flags; delivery is ours (below).
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Tokens for the app itself (userinfo) stay opaque; a registered API gets a JWT for its audience.
        useGrantedResource: () => true,
        async getResourceServerInfo(_ctx, resourceIndicator, client) {
          const server = await resourceServers.find(resourceIndicator);
          if (!server) throw new errors.InvalidTarget();
          // Like Auth0's client grants: an app gets tokens only for the APIs registered for it.
          if (!allowedResources(client).includes(server.identifier)) {
            throw new errors.InvalidTarget('this client is not allowed to request tokens for this resource');
          }
          return {
            scope: server.scopes.join(' '),
            audience: server.identifier,
            accessTokenTTL: server.accessTokenTtlSeconds ?? ttl.accessTokenSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: server.signingAlg } },
          };
        },
      },
    },
    enabledJWA: {
      idTokenSigningAlgValues: [...signingAlgorithms],
      userinfoSigningAlgValues: [...signingAlgorithms],
      introspectionSigningAlgValues: [...signingAlgorithms],
      authorizationSigningAlgValues: [...signingAlgorithms],
    },
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false;
    },
    // First-party apps are ours: whatever they request (scopes, claims, API scopes) is granted
    // without asking, also when a later request asks for more than the session's grant holds.
    // Third-party apps get what the person allowed them before (remembered per account, any
    // browser), so oidc-provider asks consent only for what is new.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { client, session, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!isFirstParty(client)) {
        const remembered = await consents.find(session.accountId, client.clientId);
        if (!remembered) return existing;
        const grant = existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        if (addConsentToGrant(grant, remembered) || !existing) await grant.save();
        return grant;
      }
      const grant = existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers ?? {})) {
        grant.addResourceScope(indicator, [...ctx.oidc.requestParamScopes].filter((scope) => server.scopes.has(scope)).join(' '));
      }
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || isFirstParty(client)),
    rotateRefreshToken: true,
    async renderError(ctx, out, error) {
      // A database outage gets the service's own "back in a moment" page (503, Retry-After).
      if (error instanceof DatabaseUnavailableError) throw error;
      const client = ctx.oidc?.client && clientView(ctx.oidc.client, ctx.oidc.issuer);
      renderPage(
        ctx as unknown as Context,
        'errors/oauth-error',
        { error: out.error, description: out.error_description, client },
        { status: Math.max(ctx.status, 400), locale: localeFor(ctx as unknown as Context) },
      );
    },
    ttl: {
      AccessToken: ttl.accessTokenSeconds,
      AuthorizationCode: ttl.authorizationCodeSeconds,
      ClientCredentials: ttl.clientCredentialsSeconds,
      IdToken: ttl.idTokenSeconds,
      Interaction: ttl.interactionSeconds,
      Session: ttl.sessionSeconds,
      Grant: ttl.grantSeconds,
      RefreshToken: ttl.refreshTokenSeconds,
    },
  };
  const provider = new Provider(config.issuer, configuration);
  // oidc-provider would POST each logout token during the sign-out request, once, and make the
  // person wait for every app. Queued instead (LogoutSender signs and delivers them, with retries):
  // the sign-out goes on at once and an app that is down gets its token when it is back.
  provider.Client.prototype.backchannelLogout = function queueBackchannelLogout(this: InstanceType<typeof provider.Client>, sub: string, sid: string) {
    return signOut.sessionEnded(requestTransactions.executor, { clientId: this.clientId, subject: sub, sid });
  };
  // oidc-provider knows one client_secret per app. After a rotation the replaced one is still
  // accepted during its grace period, and a secret rotated by another process is accepted before
  // this one's client cache has caught up: the stored secrets are asked only when the cached one
  // does not match (compareClientSecret is the override point its maintainer points to, issue #631).
  const compareCachedSecret = provider.Client.prototype.compareClientSecret;
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: InstanceType<typeof provider.Client>, actual: string) {
    return (await compareCachedSecret.call(this, actual)) || clients.acceptsStoredSecret(this.clientId, actual);
  };
  // After the resume of a sign-in (its session saved, the request's transaction still open).
  provider.use(async (ctx, next) => {
    await next();
    const { route, result, session } = ctx.oidc ?? {};
    if (route === 'resume' && result?.login && session?.accountId && ctx.status < 500) {
      await sessionSignedIn(ctx as unknown as Context, { uid: session.uid, accountId: session.accountId });
    }
  });
  // oidc-provider answers its own unexpected errors (a generic server_error, no details): log them here.
  provider.on('backchannel.error', (ctx: KoaContextWithOIDC, error: unknown, client: { clientId: string }) => {
    logger.error({ err: error, requestId: (ctx as unknown as Context).state?.requestId, clientId: client.clientId }, 'back-channel logout not queued');
  });
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: unknown) => {
    logger.error({ err: error, requestId: (ctx as unknown as Context).state?.requestId, path: ctx.path }, 'oidc-provider server error');
  });
  return provider;
}
