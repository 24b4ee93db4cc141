/** Where an email signs in: with a password here, or at its organization's identity provider. */
export type SignInRoute = { kind: 'password' } | { kind: 'federated'; connectionId: string };

export interface HomeRealmDiscovery {
  discover(email: string): Promise<SignInRoute>;
}
