import { type Config, type SocialProviderName, socialProviderNames } from '../../config.ts';
import type { OidcDependencies } from '../oidc/oidc.connection.ts';
import type { UpstreamConnection } from '../upstream-connection.ts';
import { facebook } from './facebook.ts';
import { google } from './google.ts';
import { linkedin } from './linkedin.ts';
import { microsoft } from './microsoft.ts';
import { type SocialProvider, socialConnectionId } from './social-provider.ts';

const modules: { [N in SocialProviderName]: SocialProvider<N> } = { google, microsoft, linkedin, facebook };

/** A provider the configuration enables, as pages show it. */
export interface EnabledSocialProvider {
  name: SocialProviderName;
  displayName: string;
  connectionId: string;
}

function build<N extends SocialProviderName>(name: N, social: Config['social'], deps: OidcDependencies): UpstreamConnection | undefined {
  const client = social[name];
  return client && modules[name].connection(client, deps);
}

/** The social providers this deployment offers: those with a client id and secret in the configuration, in a fixed order. */
export class SocialSignIn {
  readonly providers: readonly EnabledSocialProvider[];
  readonly connections: readonly UpstreamConnection[];

  constructor(social: Config['social'], deps: OidcDependencies) {
    const enabled = socialProviderNames.flatMap((name) => {
      const connection = build(name, social, deps);
      return connection ? [{ provider: { name, displayName: modules[name].displayName, connectionId: socialConnectionId(name) }, connection }] : [];
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
