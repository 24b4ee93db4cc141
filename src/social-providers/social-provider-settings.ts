/** An upstream address of a provider that the operator may override (sovereign clouds; tests use loopback stand-ins). */
export interface SocialAddress {
  default: string;
  /** What it is, for the README's table of variables. */
  meaning: string;
}

/**
 * What one social provider is: its name, brand, overridable addresses and the OAuth settings the
 * shared upstream sign-in (federation/oidc) uses. Pure data, so the configuration can derive its
 * settings from it; behaviour a provider needs beyond OpenID Connect lives in federation/social.
 */
export interface SocialProviderSettings<N extends string = string, K extends string = string> {
  name: N;
  /** The brand as buttons and pages name it ("Sign in with Google"). */
  displayName: string;
  /** By setting name, camelCase: `authorizationUrl` is SOCIAL_<NAME>_AUTHORIZATION_URL. */
  addresses: { readonly [key in K]: SocialAddress };
  /** The issuer ID tokens must name, from the configured addresses. */
  issuer(addresses: Record<K, string>): string;
  scopes: string[];
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
}

/** Declares a provider, keeping its name and address keys as literal types. */
export function socialProvider<const N extends string, const K extends string>(settings: SocialProviderSettings<N, K>): SocialProviderSettings<N, K> {
  return settings;
}

/** SOCIAL_<NAME>_<SETTING>, the setting in camelCase (`clientId`, `authorizationUrl`). */
export const socialEnvName = (provider: string, setting: string) =>
  `SOCIAL_${provider.toUpperCase()}_${setting.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
