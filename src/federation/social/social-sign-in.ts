import type { SocialClients } from '../../config.ts';
import { type SocialClient, type SocialProviderName, socialProviders } from '../../social-providers/social-providers.ts';
import type { OidcDependencies, OidcHooks } from '../oidc/oidc.connection.ts';
import type { UpstreamConnection } from '../upstream-connection.ts';
import { facebookHooks } from './facebook.ts';
import { microsoftHooks } from './microsoft.ts';
import { socialConnectionId, socialOidcConnection } from './social-provider.ts';

/** What a provider needs beyond plain OpenID Connect (the others need nothing here). */
const behaviours: Partial<Record<SocialProviderName, (client: SocialClient) => OidcHooks>> = {
  microsoft: () => microsoftHooks,
  facebook: facebookHooks,
};

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
    const enabled = socialProviders.flatMap((provider) => {
      const client = social[provider.name];
      if (!client) return [];
      const connection = socialOidcConnection(provider, client, deps, behaviours[provider.name]?.(client));
      return [{ provider: { name: provider.name, displayName: provider.displayName, connectionId: socialConnectionId(provider.name) }, connection }];
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
