import type { OidcDependencies } from '../oidc/oidc.connection.ts';
import type { UpstreamConnection } from '../upstream-connection.ts';
import { type SocialClients, type SocialProviderName, socialProviders } from './providers.ts';
import { type SocialClient, type SocialProvider, socialConnectionId } from './social-provider.ts';

/** A provider the configuration enables, as pages show it. */
export interface EnabledSocialProvider {
  name: SocialProviderName;
  displayName: string;
  connectionId: string;
}

/** The social providers this deployment offers: those with a client id and secret in the configuration, in a fixed order. */
export class SocialSignIn {
  readonly providers: readonly EnabledSocialProvider[];
  readonly connections: readonly UpstreamConnection[];

  constructor(social: SocialClients, deps: OidcDependencies) {
    const enabled = socialProviders.flatMap((provider: SocialProvider) => {
      const client = social[provider.name as SocialProviderName] as SocialClient | undefined;
      if (!client) return [];
      const { name, displayName } = provider;
      return [
        { provider: { name: name as SocialProviderName, displayName, connectionId: socialConnectionId(name) }, connection: provider.connection(client, deps) },
      ];
    });
    this.providers = enabled.map((entry) => entry.provider);
    this.connections = enabled.map((entry) => entry.connection);
  }

  byName(name: string): EnabledSocialProvider | undefined {
    return this.providers.find((provider) => provider.name === name);
  }

  byConnectionId(connectionId: string | undefined): EnabledSocialProvider | undefined {
    return this.providers.find((provider) => provider.connectionId === connectionId);
  }
}
