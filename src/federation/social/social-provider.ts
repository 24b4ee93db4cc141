import type { SocialProviderSettings } from '../../social-providers/social-provider-settings.ts';
import type { SocialClient } from '../../social-providers/social-providers.ts';
import { defaultOidcClaims, OidcConnection, type OidcDependencies, type OidcHooks, type OidcSettings } from '../oidc/oidc.connection.ts';
import type { ConnectionRecord, UpstreamConnection } from '../upstream-connection.ts';

/** Social connections have fixed ids, so their callback URLs are fixed: /federation/social-<name>/callback. */
export const socialConnectionId = (name: string) => `social-${name}`;

/**
 * A configured provider's connection on the shared OpenID Connect mechanism. Its record has no row
 * of its own in the connections table. Profile claims come from the ID token (no userinfo call),
 * and an email counts as verified only when the provider says so.
 */
export function socialOidcConnection(provider: SocialProviderSettings, client: SocialClient, deps: OidcDependencies, hooks?: OidcHooks): UpstreamConnection {
  const record: ConnectionRecord = {
    id: socialConnectionId(provider.name),
    kind: 'social',
    organizationId: null,
    type: provider.name,
    name: provider.displayName,
    settings: {
      issuer: provider.issuer(client),
      scopes: provider.scopes,
      tokenEndpointAuthMethod: provider.tokenEndpointAuthMethod,
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
