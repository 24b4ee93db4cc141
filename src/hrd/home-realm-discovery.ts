/** Where an email signs in: with a password here, or at an enterprise connection (SSO). */
export type SignInRoute = { kind: 'password' } | { kind: 'federated'; connectionId: string };

/** Home-realm discovery: decides from an email (usually its domain) how that person signs in. */
export interface HomeRealmDiscovery {
  discover(email: string): Promise<SignInRoute>;
  /** The same decision for a bare domain (an app's `domain_hint`), where the discovery can make it. */
  discoverDomain?(domain: string): Promise<SignInRoute>;
}
