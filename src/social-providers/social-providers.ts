import { facebook } from './facebook.ts';
import { google } from './google.ts';
import { linkedin } from './linkedin.ts';
import { microsoft } from './microsoft.ts';
import { type SocialProviderSettings, socialEnvName } from './social-provider-settings.ts';

/**
 * The one list of social providers, in the order of their buttons. The configuration's schema and
 * environment variables (config.ts), the registry (federation/social/social-sign-in.ts), the
 * README's table of SOCIAL_* variables and the button icons (views/assets/social/<name>.svg; both
 * checked by test/social-providers.test.ts) derive from it. Adding an OpenID Connect provider is
 * one settings file here, its line below and its icon.
 */
export const socialProviders = [google, microsoft, linkedin, facebook] as const;

export type SocialProviderName = (typeof socialProviders)[number]['name'];
export const socialProviderNames = socialProviders.map((provider) => provider.name) as SocialProviderName[];

/** A provider's configured client: its id and secret, and every address (its default unless overridden). */
export type SocialClient<K extends string = string> = { clientId: string; clientSecret: string } & Record<K, string>;

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
function variablesOf(provider: SocialProviderSettings): SocialVariable[] {
  const { displayName: brand } = provider;
  const name = provider.name as SocialProviderName;
  return [
    {
      name: socialEnvName(name, 'clientId'),
      provider: name,
      setting: 'clientId',
      meaning: `Client id ${brand} issued to this service. With its secret, enables "Sign in with ${brand}"; one without the other stops the server. Redirect URI to register: \`<ISSUER>/federation/social-${name}/callback\`.`,
      expected: `the client id ${brand} issued to this service (with the secret, enables sign-in with ${brand})`,
    },
    {
      name: socialEnvName(name, 'clientSecret'),
      provider: name,
      setting: 'clientSecret',
      meaning: 'Client secret issued with that client id.',
      expected: `the client secret ${brand} issued with that client id`,
    },
    ...Object.entries<{ default: string; meaning: string }>(provider.addresses).map(([setting, address]) => ({
      name: socialEnvName(name, setting),
      provider: name,
      setting,
      default: address.default,
      meaning: `${address.meaning} ${addressNote}`,
      expected: `an absolute URL (default ${address.default})`,
    })),
  ];
}

export const socialVariables: readonly SocialVariable[] = socialProviders.flatMap((provider) => variablesOf(provider as SocialProviderSettings));
