import { defaultOidcClaims, OidcConnection, type OidcDependencies, type OidcHooks, type OidcSettings } from '../oidc/oidc.connection.ts';
import type { ConnectionRecord, UpstreamConnection } from '../upstream-connection.ts';

/** An upstream address of a provider that the operator may override (sovereign clouds; tests use loopback stand-ins). */
export interface SocialAddress {
  default: string;
  /** What it is, for the README's table of variables. */
  meaning: string;
}

/** A provider's configured client: its id and secret, and every address (its default unless overridden). */
export type SocialClient<K extends string = string> = { clientId: string; clientSecret: string } & Record<K, string>;

/**
 * One social provider: a settings module on the shared upstream sign-in mechanism
 * (oidc.connection.ts). It owns its environment variables: SOCIAL_<NAME>_CLIENT_ID and
 * _CLIENT_SECRET enable it, and each address is SOCIAL_<NAME>_<ADDRESS> (socialEnvName).
 */
export interface SocialProvider<N extends string = string, K extends string = string> {
  name: N;
  /** The brand as buttons and pages name it ("Sign in with Google"). */
  displayName: string;
  /** Its overridable upstream addresses, by setting name (camelCase: `authorizationUrl` is SOCIAL_<NAME>_AUTHORIZATION_URL). */
  addresses: { readonly [key in K]: SocialAddress };
  /** The connection, from the configured client and addresses. */
  connection(client: SocialClient<K>, deps: OidcDependencies): UpstreamConnection;
}

/** Declares a provider, keeping its name and address keys as literal types. */
export function socialProvider<const N extends string, const K extends string>(provider: SocialProvider<N, K>): SocialProvider<N, K> {
  return provider;
}

/** SOCIAL_<NAME>_<SETTING>, the setting in camelCase (`clientId`, `authorizationUrl`) or already upper case. */
export const socialEnvName = (provider: string, setting: string) =>
  `SOCIAL_${provider.toUpperCase()}_${setting.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;

/** Social connections have fixed ids, so their callback URLs are fixed: /federation/social-<name>/callback. */
export const socialConnectionId = (name: string) => `social-${name}`;

/** What differs between the social providers' settings; the rest is the same for all of them. */
export type SocialOidcSettings = Pick<OidcSettings, 'issuer' | 'scopes' | 'tokenEndpointAuthMethod'>;

/**
 * A configured provider's connection on the shared OpenID Connect mechanism. Its record has no row
 * of its own in the connections table. Profile claims come from the ID token (no userinfo call),
 * and an email counts as verified only when the provider says so.
 */
export function socialOidcConnection(
  provider: { name: string; displayName: string },
  client: { clientId: string; clientSecret: string },
  settings: SocialOidcSettings,
  deps: OidcDependencies,
  hooks?: OidcHooks,
): UpstreamConnection {
  const record: ConnectionRecord = {
    id: socialConnectionId(provider.name),
    kind: 'social',
    organizationId: null,
    type: provider.name,
    name: provider.displayName,
    settings: {
      ...settings,
      clientId: client.clientId,
      claims: defaultOidcClaims,
      userinfo: false,
      assumeEmailVerified: false,
      authorizationParams: {},
    } satisfies OidcSettings,
    secrets: { clientSecret: client.clientSecret },
    enabled: true,
  };
  return new OidcConnection(record, deps, hooks);
}
