import type { Config, SocialProviderName } from '../../config.ts';
import type { OidcDependencies, OidcSettings } from '../oidc/oidc.connection.ts';
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

/** The connection record of a configured provider (it has no row of its own in the connections table). */
export function socialConnectionRecord(name: SocialProviderName, displayName: string, settings: OidcSettings, clientSecret: string): ConnectionRecord {
  return {
    id: socialConnectionId(name),
    kind: 'social',
    organizationId: null,
    type: name,
    name: displayName,
    settings,
    secrets: { clientSecret },
    enabled: true,
  };
}
