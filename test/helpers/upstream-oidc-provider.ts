import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Koa from 'koa';
import mount from 'koa-mount';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';
import type { RunningServer } from '../../src/server.ts';

const cookieKey = 'upstream-test-cookie-key';

/**
 * Every lifetime oidc-provider would otherwise take from a default function, which prints an
 * "oidc-provider NOTICE" line the first time it runs.
 */
export const upstreamTtl = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 600,
  IdToken: 3600,
  Interaction: 3600,
  RefreshToken: 86_400,
  Session: 86_400,
  Grant: 86_400,
} satisfies Configuration['ttl'];

export interface UpstreamAccount {
  sub: string;
  claims: Record<string, unknown>;
  /** How the upstream says it signed the person in (its login's amr and acr, in the ID token). */
  login?: { amr?: string[]; acr?: string };
}

export interface UpstreamOidcOptions {
  /** Path of the issuer under the server's origin (e.g. "/tenant-1/v2.0"); none by default. */
  issuerPath?: string;
  clients: ClientMetadata[];
  account?: UpstreamAccount;
  /** Scope → claims, as oidc-provider's `claims` setting. */
  claims?: Configuration['claims'];
  /** false puts scope claims in the ID token too (oidc-provider keeps them for userinfo by default). */
  conformIdTokenClaims?: boolean;
  /** Anything else of oidc-provider's configuration (a social provider's quirks). */
  configuration?: Partial<Configuration>;
  /** Koa middleware run before the provider: extra endpoints (a Graph API) or answers reshaped like a real provider's. */
  middleware?: Koa.Middleware[];
}

/**
 * A second, real oidc-provider playing a company (or social) identity provider on loopback. Its
 * interaction signs `account` in at once, or answers access_denied when `behaviour` is 'deny'
 * (the user cancelled). `account` and `behaviour` can change between tests.
 */
export class UpstreamOidcProvider {
  readonly issuer: string;
  readonly server: Server;

  /** Where it listens (its issuer may name another host, one the test's DNS server resolves here). */
  get listeningUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  readonly #issuerPath: string;
  #provider: Provider | undefined;
  account: UpstreamAccount = { sub: 'upstream-user', claims: {} };
  behaviour: 'login' | 'deny' = 'login';
  /** Authorization parameters of the last request that reached the interaction (login_hint, scope...). */
  lastAuthorizationParams: Record<string, unknown> | undefined;

  private constructor(issuer: string, issuerPath: string, server: Server) {
    this.issuer = issuer;
    this.#issuerPath = issuerPath;
    this.server = server;
  }

  /**
   * Listens first, so the issuer URL is known before the clients (whose redirect URIs may depend on
   * it) are. `localhost` gives a browser a host distinct from the service's 127.0.0.1 for cookies;
   * another name is one only the test's DNS server resolves (to 127.0.0.1, where it listens).
   */
  static async listen(issuerPath = '', hostname = '127.0.0.1'): Promise<UpstreamOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new UpstreamOidcProvider(`http://${hostname}:${port}${issuerPath}`, issuerPath, server);
  }

  static async start(options: UpstreamOidcOptions): Promise<UpstreamOidcProvider> {
    const upstream = await UpstreamOidcProvider.listen(options.issuerPath);
    await upstream.configure(options);
    return upstream;
  }

  get provider(): Provider {
    if (!this.#provider) throw new Error('configure() the upstream first');
    return this.#provider;
  }

  async configure(options: Omit<UpstreamOidcOptions, 'issuerPath'>): Promise<this> {
    const { issuer, server } = this;
    const issuerPath = this.#issuerPath;
    if (options.account) this.account = options.account;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const signingKey = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'upstream-test' };

    const provider = new Provider(issuer, {
      clients: options.clients,
      jwks: { keys: [signingKey as NonNullable<Configuration['jwks']>['keys'][number]] },
      // Cookies ignore ports: on 127.0.0.1 the upstream's must not be named like ours, or each overwrites the other's session.
      cookies: { keys: [cookieKey], names: { session: '_upstream_session', interaction: '_upstream_interaction', resume: '_upstream_interaction_resume' } },
      claims: options.claims ?? { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
      conformIdTokenClaims: options.conformIdTokenClaims ?? true,
      findAccount: (_ctx, sub) => (sub === this.account.sub ? { accountId: sub, claims: () => ({ ...this.account.claims, sub }) } : undefined),
      features: { devInteractions: { enabled: false } },
      ttl: upstreamTtl,
      interactions: { url: (_ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}` },
      // Our service is a first-party app of the company IdP here: no consent screen.
      async loadExistingGrant(ctx) {
        const { client, session } = ctx.oidc;
        if (!client || !session?.accountId) return undefined;
        const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
        await grant.save();
        return grant;
      },
      ...options.configuration,
    });
    this.#provider = provider;

    const app = new Koa();
    // koa-mount runs the provider on this app's context: both must sign cookies with the same keys.
    app.keys = [cookieKey];
    for (const middleware of options.middleware ?? []) app.use(middleware);
    app.use(async (ctx, next) => {
      const match = new RegExp(`^${issuerPath}/interaction/([\\w-]+)$`).exec(ctx.path);
      if (!match) return next();
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      this.lastAuthorizationParams = details.params;
      const result =
        this.behaviour === 'deny'
          ? { error: 'access_denied', error_description: 'The user cancelled' }
          : { login: { accountId: this.account.sub, ...this.account.login } };
      await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    });
    app.use(issuerPath ? mount(issuerPath, provider) : mount(provider));
    server.on('request', app.callback());
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The tests' company "Hooli" (domain hooli.test) signing in through `idp` over OpenID Connect:
 * the organization, its connection here and the matching client at the IdP. Returns the connection id.
 */
export async function connectHooli(
  services: RunningServer['services'],
  idp: UpstreamOidcProvider,
  options: Pick<UpstreamOidcOptions, 'account' | 'claims'>,
): Promise<string> {
  const organization = await services.orgs.organizationService.create({ name: 'Hooli', domains: ['hooli.test'], verifiedByOperator: true });
  const connection = await services.federation.connectionSetup.createOidc({
    organizationId: organization.id,
    enabledByOperator: true,
    name: 'Hooli IdP',
    issuer: idp.issuer,
    clientId: 'signin-service',
    clientSecret: 'hooli-secret',
    enforceSso: false,
  });
  await idp.configure({
    clients: [
      {
        client_id: 'signin-service',
        client_secret: 'hooli-secret',
        redirect_uris: [connection.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    ...options,
  });
  return connection.id;
}
