import { facebook } from './facebook.ts';
import { google } from './google.ts';
import { linkedin } from './linkedin.ts';
import { microsoft } from './microsoft.ts';
import { type SocialClient, type SocialProvider, socialEnvName } from './social-provider.ts';

/**
 * The one list of social providers, in the order of their buttons. The configuration's schema and
 * environment variables, the registry (social-sign-in.ts), the README's table of SOCIAL_* variables
 * and the button icons (views/assets/social/<name>.svg) all derive from it: adding a provider is one
 * settings module here (and its icon).
 */
export const socialProviders = [google, microsoft, linkedin, facebook] as const;

type AnySocialProvider = (typeof socialProviders)[number];
export type SocialProviderName = AnySocialProvider['name'];

type ClientOf<P> = P extends SocialProvider<string, infer K> ? SocialClient<K> : never;

/** The enabled providers' clients, by provider name, as the configuration holds them. */
export type SocialClients = { readonly [P in AnySocialProvider as P['name']]?: ClientOf<P> };

/** One SOCIAL_* environment variable: the setting it fills under `social.<name>`, its default and what it means. */
export interface SocialVariable {
  name: string;
  provider: SocialProviderName;
  setting: string;
  default?: string;
  meaning: string;
  /** A valid value, for configuration error messages. */
  expected: string;
}

const addressNote = 'Overridable for tests and sovereign clouds; `https` in production.';

/** A provider's variables: its client id and secret (together they enable it), then its address overrides. */
function variablesOf(provider: SocialProvider): SocialVariable[] {
  const { name, displayName: brand } = provider;
  return [
    {
      name: socialEnvName(name, 'clientId'),
      provider: name as SocialProviderName,
      setting: 'clientId',
      meaning: `Client id ${brand} issued to this service. With its secret, enables "Sign in with ${brand}"; one without the other stops the server. Redirect URI to register: \`<ISSUER>/federation/social-${name}/callback\`.`,
      expected: `the client id ${brand} issued to this service (with the secret, enables sign-in with ${brand})`,
    },
    {
      name: socialEnvName(name, 'clientSecret'),
      provider: name as SocialProviderName,
      setting: 'clientSecret',
      meaning: 'Client secret issued with that client id.',
      expected: `the client secret ${brand} issued with that client id`,
    },
    ...Object.entries(provider.addresses).map(([setting, address]) => ({
      name: socialEnvName(name, setting),
      provider: name as SocialProviderName,
      setting,
      default: address.default,
      meaning: `${address.meaning} ${addressNote}`,
      expected: `an absolute URL (default ${address.default})`,
    })),
  ];
}

export const socialVariables: readonly SocialVariable[] = socialProviders.flatMap((provider) => variablesOf(provider as SocialProvider));
