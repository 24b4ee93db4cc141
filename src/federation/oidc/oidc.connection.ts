import * as client from 'openid-client';
import { z } from 'zod';
import type { ErrorCode } from '../../http/error-codes.ts';
import { AppError } from '../../http/errors.ts';
import { FederationError, failureStatus, SignInCancelledError } from '../federation-error.ts';
import type { FederationState, FederationStateBox } from '../federation-state.ts';
import type {
  BeginInput,
  BeginResult,
  CallbackParams,
  ConnectionRecord,
  UpstreamAuthentication,
  UpstreamConnection,
  UpstreamProfile,
} from '../upstream-connection.ts';

/**
 * Everything that distinguishes one OIDC upstream from another. A company IdP is configured from
 * the CLI; a social provider (Google, Microsoft, LinkedIn...) is one constant of this shape.
 */
export const oidcSettingsSchema = z.object({
  issuer: z.url(),
  clientId: z.string().min(1),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).min(1),
  /** Which claim holds each profile field; the subject is always `sub`. */
  claims: z.object({
    email: z.string().min(1),
    emailVerified: z.string().min(1),
    givenName: z.string().min(1),
    familyName: z.string().min(1),
    name: z.string().min(1),
  }),
  /** Read the userinfo endpoint too (providers that keep profile claims out of the ID token). */
  userinfo: z.boolean(),
  /** Take the email as verified without an email_verified claim (providers that only hand out verified addresses). */
  assumeEmailVerified: z.boolean(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']),
  /** Extra authorization parameters a provider needs (e.g. prompt=select_account). */
  authorizationParams: z.record(z.string(), z.string()),
});
export type OidcSettings = z.infer<typeof oidcSettingsSchema>;

export const defaultOidcClaims: OidcSettings['claims'] = {
  email: 'email',
  emailVerified: 'email_verified',
  givenName: 'given_name',
  familyName: 'family_name',
  name: 'name',
};

/** What the code's redemption must check, from the sealed state. */
/** Where the company IdP sends people back: registered with it when the connection is set up. */
export const oidcRedirectUri = (issuer: string, connectionId: string) => `${issuer}/federation/${encodeURIComponent(connectionId)}/callback`;

export interface CodeChecks {
  state: string;
  codeVerifier: string;
  /** Absent for plain OAuth 2 upstreams, which issue no ID token. */
  nonce: string | undefined;
}

export interface ClaimsRequest {
  config: client.Configuration;
  /** Our callback URL with the parameters the upstream sent. */
  callbackUrl: URL;
  checks: CodeChecks;
  clientAuth: client.ClientAuth;
  clientSecret: string | undefined;
  allowInsecureRequests: boolean;
  /** The address-checked fetch every request to the upstream goes through. */
  fetch: client.CustomFetch;
}

/**
 * Where a provider module departs from plain OpenID Connect; without hooks a connection is a
 * standard OIDC upstream (discovery, code flow, ID token, userinfo). State and PKCE are always
 * used, and the nonce whenever an ID token is expected.
 */
export interface OidcHooks {
  /** false: a plain OAuth 2 upstream (no nonce, no ID token): `claims` must fetch the profile. */
  openid?: boolean;
  /** Builds the openid-client configuration (default: discovery of the configured issuer, which the metadata must name). */
  configure?(settings: OidcSettings, clientAuth: client.ClientAuth, options: client.DiscoveryRequestOptions): Promise<client.Configuration>;
  /** Redeems the code and returns what the upstream says about the user (default: ID token claims, then userinfo). */
  claims?(request: ClaimsRequest): Promise<Record<string, unknown>>;
  /** Adjusts the profile mapped with the settings' claim names (subject, verification rules). */
  profile?(claims: Record<string, unknown>, mapped: UpstreamProfile): UpstreamProfile;
}

export interface OidcDependencies {
  issuer: string;
  states: FederationStateBox;
  discovery: OidcDiscoveryCache;
  /** Plain-http upstreams, for development and tests only. */
  allowInsecureRequests: boolean;
  /** Reaches public addresses only (unless insecure upstreams are allowed), connecting to the address it checked. */
  fetch: client.CustomFetch;
}

const discoveryTtlMs = 10 * 60 * 1000;

/** Discovered upstream configurations, kept ten minutes so a sign-in does not fetch metadata twice. */
export class OidcDiscoveryCache {
  readonly #entries = new Map<string, { config: Promise<client.Configuration>; until: number }>();

  get(key: string, discover: () => Promise<client.Configuration>): Promise<client.Configuration> {
    const cached = this.#entries.get(key);
    if (cached && cached.until > Date.now()) return cached.config;
    const config = discover();
    this.#entries.set(key, { config, until: Date.now() + discoveryTtlMs });
    config.catch(() => this.#entries.delete(key));
    return config;
  }
}

/**
 * Why a request to the upstream failed, for the failure page: an address the fetch refused (a
 * discovery document naming our own network) is the connection's settings at fault, not the network.
 */
function upstreamFailure(error: unknown, otherwise: ErrorCode): { code: ErrorCode; message: string } {
  let unreachable = false;
  for (let current = error; current; current = (current as { cause?: unknown }).cause) {
    if (current instanceof AppError && current.code === 'federation.upstream_url_refused')
      return { code: 'federation.upstream_refused', message: current.message };
    if (current instanceof TypeError && /fetch/i.test(current.message)) unreachable = true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT'].includes((current as { code?: string }).code ?? ''))
      unreachable = true;
    if ((current as Error).name === 'TimeoutError' || (current as Error).name === 'AbortError') unreachable = true;
  }
  return { code: unreachable ? 'federation.upstream_unreachable' : otherwise, message: (error as Error).message };
}

const stringClaim = (claims: Record<string, unknown>, name: string) => {
  const value = claims[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
};

/**
 * A generic OpenID Connect upstream through openid-client: discovery, code flow with PKCE (S256),
 * state (our sealed state), nonce, and the issuer checks openid-client does (ID token `iss`, and
 * the RFC 9207 `iss` response parameter when the upstream advertises it).
 */
export class OidcConnection implements UpstreamConnection {
  readonly record: ConnectionRecord;
  readonly settings: OidcSettings;
  readonly redirectUri: string;
  readonly #deps: OidcDependencies;
  readonly #hooks: OidcHooks;

  constructor(record: ConnectionRecord, deps: OidcDependencies, hooks: OidcHooks = {}) {
    this.record = record;
    this.settings = oidcSettingsSchema.parse(record.settings);
    this.redirectUri = oidcRedirectUri(deps.issuer, record.id);
    this.#deps = deps;
    this.#hooks = hooks;
  }

  get #openid(): boolean {
    return this.#hooks.openid ?? true;
  }

  async #configuration(): Promise<client.Configuration> {
    const { issuer, clientId } = this.settings;
    const clientAuth = this.#clientAuthentication();
    const options: client.DiscoveryRequestOptions = {
      timeout: 10,
      [client.customFetch]: this.#deps.fetch,
      ...(this.#deps.allowInsecureRequests ? { execute: [client.allowInsecureRequests] } : {}),
    };
    try {
      return await this.#deps.discovery.get(`${this.record.id} ${issuer} ${clientId}`, () =>
        this.#hooks.configure
          ? this.#hooks.configure(this.settings, clientAuth, options)
          : client.discovery(new URL(issuer), clientId, undefined, clientAuth, options),
      );
    } catch (error) {
      const { code, message } = upstreamFailure(error, 'federation.upstream_unreachable');
      throw new FederationError(code, { status: failureStatus(code), cause: error, message });
    }
  }

  #clientAuthentication(): client.ClientAuth {
    const secret = this.record.secrets.clientSecret;
    const method = this.settings.tokenEndpointAuthMethod;
    if (method === 'none' || !secret) return client.None();
    return method === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
  }

  async begin({ uid, appClientId, loginHint, remember, returnTo }: BeginInput): Promise<BeginResult> {
    const config = await this.#configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = this.#openid ? client.randomNonce() : undefined;
    const state = await this.#deps.states.seal({ uid, appClientId, connectionId: this.record.id, nonce, codeVerifier, remember, returnTo });
    const url = client.buildAuthorizationUrl(config, {
      ...this.settings.authorizationParams,
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes.join(' '),
      state,
      ...(nonce ? { nonce } : {}),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
    return { kind: 'redirect', url: url.toString() };
  }

  stateOf(params: CallbackParams): Promise<FederationState> {
    return this.#deps.states.open(params.state, this.record.id);
  }

  async complete(params: CallbackParams): Promise<UpstreamProfile> {
    const state = await this.stateOf(params);
    if (params.error) {
      const message = `upstream error ${params.error}`;
      throw params.error === 'access_denied' ? new SignInCancelledError({ message }) : new FederationError('federation.upstream_error', { message });
    }
    const config = await this.#configuration();
    const callbackUrl = new URL(this.redirectUri);
    for (const [name, value] of Object.entries(params)) callbackUrl.searchParams.set(name, value);
    const checks: CodeChecks = { state: params.state!, codeVerifier: state.codeVerifier!, nonce: state.nonce };

    let claims: Record<string, unknown>;
    try {
      claims = this.#hooks.claims
        ? await this.#hooks.claims({
            config,
            callbackUrl,
            checks,
            clientAuth: this.#clientAuthentication(),
            clientSecret: this.record.secrets.clientSecret,
            allowInsecureRequests: this.#deps.allowInsecureRequests,
            fetch: this.#deps.fetch,
          })
        : await this.#idTokenClaims(config, callbackUrl, checks);
    } catch (error) {
      if (error instanceof FederationError) throw error;
      const { code, message } = upstreamFailure(error, 'federation.oidc_invalid_response');
      throw new FederationError(code, { status: failureStatus(code), cause: error, message });
    }
    if (typeof claims.sub !== 'string' || !claims.sub) throw new FederationError('federation.oidc_invalid_response', { message: 'no subject' });
    const mapped = this.#profile(claims);
    const profile = this.#hooks.profile ? await this.#hooks.profile(claims, mapped) : mapped;
    return { ...profile, authentication: upstreamAuthentication(claims), received: claims };
  }

  async #idTokenClaims(config: client.Configuration, callbackUrl: URL, checks: CodeChecks): Promise<Record<string, unknown>> {
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const claims: Record<string, unknown> = { ...tokens.claims() };
    if (!this.settings.userinfo || !config.serverMetadata().userinfo_endpoint) return claims;
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
    return { ...userinfo, ...claims };
  }

  #profile(claims: Record<string, unknown>): UpstreamProfile {
    const names = this.settings.claims;
    const email = stringClaim(claims, names.email);
    return {
      connectionId: this.record.id,
      subject: String(claims.sub),
      email,
      emailVerified: email !== undefined && (claims[names.emailVerified] === true || this.settings.assumeEmailVerified),
      givenName: stringClaim(claims, names.givenName),
      familyName: stringClaim(claims, names.familyName),
      name: stringClaim(claims, names.name),
    };
  }
}

/** The ID token's amr (RFC 8176) and acr, as the upstream stated them. */
function upstreamAuthentication(claims: Record<string, unknown>): UpstreamAuthentication {
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [];
  return { amr, acr: typeof claims.acr === 'string' ? claims.acr : undefined };
}
