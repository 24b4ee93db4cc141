import { createHmac } from 'node:crypto';
import type Koa from 'koa';
import type { ClientAuthMethod, ClientMetadata } from 'oidc-provider';
import { UpstreamOidcProvider } from './upstream-oidc-provider.ts';

/**
 * Loopback stand-ins for the social providers, each a real oidc-provider behaving like the
 * provider it plays: Google and LinkedIn are standard OIDC with `email_verified`; Microsoft publishes
 * its multi-tenant issuer as a template and keys people by tid and oid; Facebook is OAuth 2 plus
 * a Graph-like /me that checks appsecret_proof. Start them with `listen` first (their addresses go
 * into our server's configuration), then `configure` them with our callback URL.
 */
export const socialClient = { clientId: 'signin-service', clientSecret: 'social-client-secret-0123456789abcdef' };

/** The tenant of the Microsoft stand-in, and another one. */
export const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const otherTenant = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

export interface SocialStandIns {
  /** Misbehaviours a test can switch on: `nonce` replaces the nonce Google's stand-in receives (its ID token then carries that one). */
  quirks: { nonce?: string | undefined };
  google: UpstreamOidcProvider;
  microsoft: UpstreamOidcProvider;
  linkedin: UpstreamOidcProvider;
  facebook: FacebookStandIn;
}

export interface FacebookStandIn extends UpstreamOidcProvider {
  /** The app secret the Graph stand-in checks appsecret_proof with (the token endpoint's secret unless changed). */
  graphAppSecret: string;
  /** Query of the last /me request the Graph stand-in accepted. */
  lastGraphQuery: Record<string, unknown> | undefined;
}

const origin = (url: string) => new URL(url).origin;

/** `hostname` names them in their URLs (default 127.0.0.1, where they listen). */
export async function listenSocialStandIns(hostname?: string): Promise<SocialStandIns> {
  const facebook = (await UpstreamOidcProvider.listen('', hostname)) as FacebookStandIn;
  facebook.graphAppSecret = socialClient.clientSecret;
  return {
    quirks: {},
    google: await UpstreamOidcProvider.listen('', hostname),
    microsoft: await UpstreamOidcProvider.listen(`/${tenant}/v2.0`, hostname),
    linkedin: await UpstreamOidcProvider.listen('/oauth', hostname),
    facebook,
  };
}

/** Our server's `social` settings pointing at the stand-ins. */
export function socialSettings(standIns: SocialStandIns) {
  return {
    google: { ...socialClient, issuer: standIns.google.issuer },
    microsoft: { ...socialClient, issuer: `${origin(standIns.microsoft.issuer)}/common/v2.0` },
    linkedin: { ...socialClient, issuer: standIns.linkedin.issuer },
    facebook: {
      ...socialClient,
      authorizationUrl: `${standIns.facebook.issuer}/auth`,
      tokenUrl: `${standIns.facebook.issuer}/token`,
      graphUrl: `${standIns.facebook.issuer}/graph`,
    },
  };
}

function clientFor(serverUrl: string, name: string, tokenEndpointAuthMethod: ClientAuthMethod = 'client_secret_basic'): ClientMetadata {
  return {
    client_id: socialClient.clientId,
    client_secret: socialClient.clientSecret,
    redirect_uris: [`${serverUrl}/federation/social-${name}/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: tokenEndpointAuthMethod,
  };
}

/** Microsoft and Facebook send no `iss` authorization response parameter (oidc-provider always does). */
function withoutIssParameter(serverUrl: string): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    const location = ctx.response.get('Location') as string | undefined;
    if (!location?.startsWith(`${serverUrl}/federation/`)) return;
    const url = new URL(location);
    url.searchParams.delete('iss');
    ctx.set('Location', url.toString());
  };
}

const standardClaims = { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] };

export async function configureSocialStandIns(standIns: SocialStandIns, serverUrl: string): Promise<void> {
  const { google, microsoft, linkedin, facebook, quirks } = standIns;
  await google.configure({
    clients: [clientFor(serverUrl, 'google')],
    middleware: [
      async (ctx, next) => {
        if (quirks.nonce && ctx.path === '/auth' && ctx.query.nonce) {
          const params = new URLSearchParams(ctx.querystring);
          params.set('nonce', quirks.nonce);
          ctx.querystring = params.toString();
        }
        return next();
      },
    ],
    claims: standardClaims,
    conformIdTokenClaims: false,
    account: {
      sub: '104729000000000000001',
      claims: { email: 'ada@gmail.test', email_verified: true, name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' },
    },
  });

  await linkedin.configure({
    clients: [clientFor(serverUrl, 'linkedin', 'client_secret_post')],
    claims: standardClaims,
    conformIdTokenClaims: false,
    account: {
      sub: 'lnkd-782bbtaQ',
      claims: { email: 'grace@linkedin.test', email_verified: true, name: 'Grace Hopper', given_name: 'Grace', family_name: 'Hopper' },
    },
  });

  // Entra ID: the common endpoint's metadata names the issuer as a template; tokens name the tenant.
  const commonDiscovery = '/common/v2.0/.well-known/openid-configuration';
  await microsoft.configure({
    clients: [clientFor(serverUrl, 'microsoft', 'client_secret_post')],
    claims: { openid: ['sub', 'tid', 'oid'], email: ['email', 'xms_edov'], profile: ['name', 'given_name', 'family_name'] },
    conformIdTokenClaims: false,
    account: {
      sub: 'pairwise-sub-for-this-app',
      claims: { tid: tenant, oid: '00000000-0000-0000-66f3-3332eca7ea81', email: 'alan@contoso.test', xms_edov: true, name: 'Alan Turing' },
    },
    middleware: [
      withoutIssParameter(serverUrl),
      async (ctx, next) => {
        if (ctx.path !== commonDiscovery) return next();
        // Read where it listens; its endpoints are then named like its issuer.
        const document = await (await fetch(`${microsoft.listeningUrl}/${tenant}/v2.0/.well-known/openid-configuration`)).text();
        const metadata = JSON.parse(document.replaceAll(microsoft.listeningUrl, origin(microsoft.issuer))) as Record<string, unknown>;
        delete metadata.authorization_response_iss_parameter_supported;
        ctx.body = { ...metadata, issuer: `${origin(microsoft.issuer)}/{tenantid}/v2.0` };
      },
    ],
  });

  facebook.lastGraphQuery = undefined;
  await facebook.configure({
    clients: [clientFor(serverUrl, 'facebook', 'client_secret_post')],
    account: { sub: '10229876543210001', claims: { name: 'Linus Torvalds', first_name: 'Linus', last_name: 'Torvalds', email: 'linus@facebook.test' } },
    configuration: { scopes: ['openid', 'offline_access', 'email', 'public_profile'] },
    middleware: [withoutIssParameter(serverUrl), graphApi(facebook)],
  });
}

/** GET /graph/me: the user behind the access token, if the call carries the right appsecret_proof. */
function graphApi(facebook: FacebookStandIn): Koa.Middleware {
  const refuse = (ctx: Koa.Context, message: string, code: number) => {
    ctx.status = 400;
    ctx.body = { error: { message, type: 'OAuthException', code } };
  };
  return async (ctx, next) => {
    if (ctx.path !== '/graph/me') return next();
    const token = /^Bearer (.+)$/i.exec(ctx.get('authorization'))?.[1] ?? String(ctx.query.access_token ?? '');
    const accessToken = token ? await facebook.provider.AccessToken.find(token) : undefined;
    if (!accessToken) return refuse(ctx, 'Invalid OAuth access token.', 190);
    const expected = createHmac('sha256', facebook.graphAppSecret).update(token).digest('hex');
    if (ctx.query.appsecret_proof !== expected) return refuse(ctx, 'Invalid appsecret_proof provided in the API argument', 100);
    facebook.lastGraphQuery = { ...ctx.query };
    const claims = facebook.account.claims;
    const fields = String(ctx.query.fields ?? 'id,name').split(',');
    ctx.body = Object.fromEntries(
      fields.map((field) => [field, field === 'id' ? accessToken.accountId : claims[field]]).filter(([, value]) => value !== undefined),
    );
  };
}

export async function closeSocialStandIns(standIns: SocialStandIns | undefined): Promise<void> {
  if (!standIns) return;
  const { google, microsoft, linkedin, facebook } = standIns;
  await Promise.all([google, microsoft, linkedin, facebook].map((standIn) => standIn.close()));
}
