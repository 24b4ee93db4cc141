import type { Config, SocialProviderName } from '../../config.ts';
import { defaultOidcClaims, OidcConnection, type OidcDependencies, type OidcHooks, type OidcSettings } from '../oidc/oidc.connection.ts';
import type { ConnectionRecord, UpstreamConnection } from '../upstream-connection.ts';

export type SocialClientConfig<N extends SocialProviderName> = NonNullable<Config['social'][N]>;

/** One social provider: a settings module on the shared upstream sign-in mechanism (oidc.connection.ts). */
export interface SocialProvider<N extends SocialProviderName = SocialProviderName> {
  name: N;
  /** The brand as buttons and pages name it ("Sign in with Google"). */
  displayName: string;
  /** The connection, from the configured client and address overrides. */
  connection(client: SocialClientConfig<N>, deps: OidcDependencies): UpstreamConnection;
}

/** Social connections have fixed ids, so their callback URLs are fixed: /federation/social-<name>/callback. */
export const socialConnectionId = (name: SocialProviderName) => `social-${name}`;

/** What differs between the social providers' settings; the rest is the same for all of them. */
export type SocialOidcSettings = Pick<OidcSettings, 'issuer' | 'scopes' | 'tokenEndpointAuthMethod'>;

/**
 * A configured provider's connection on the shared OpenID Connect mechanism. Its record has no row
 * of its own in the connections table. Profile claims come from the ID token (no userinfo call),
 * and an email counts as verified only when the provider says so.
 */
export function socialOidcConnection(
  provider: { name: SocialProviderName; displayName: string },
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
