import type Provider from 'oidc-provider';

type Client = InstanceType<Provider['Client']>;

/** What the pages show of the app a person signs in to. */
export interface ClientView {
  id: string;
  name: string;
  logoUri?: string;
  /** Where "return to the app" sends the person to start again, when the app registered one. */
  restartUri?: string;
}

/**
 * The app's initiate_login_uri (OIDC third-party initiated login, with our issuer as `iss`) starts
 * a fresh sign-in at the app; its client_uri (home page) is the next best thing.
 */
function restartUriOf(client: Client, issuer: string): string | undefined {
  if (client.initiateLoginUri) {
    const url = new URL(client.initiateLoginUri);
    url.searchParams.set('iss', issuer);
    return url.toString();
  }
  return client.clientUri;
}

export function clientView(client: Client, issuer: string): ClientView {
  const restartUri = restartUriOf(client, issuer);
  return {
    id: client.clientId,
    name: client.clientName ?? client.clientId,
    ...(client.logoUri ? { logoUri: client.logoUri } : {}),
    ...(restartUri ? { restartUri } : {}),
  };
}

/** The registered app with this id, or undefined (unknown, or an id that is not even well formed). */
export async function findClientView(provider: Provider, clientId: unknown): Promise<ClientView | undefined> {
  if (typeof clientId !== 'string' || !/^[\w.~-]{1,128}$/.test(clientId)) return undefined;
  const client = await provider.Client.find(clientId);
  return client ? clientView(client, provider.issuer) : undefined;
}
