/**
 * Child process: the reference point. A bare oidc-provider with its in-memory adapter (no adapter
 * option), a static client and the same resource servers, RS256 and ES256 keys of the same sizes
 * as ours, and nothing else: no PostgreSQL, no middleware of ours, no logging.
 */
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, errors } from 'oidc-provider';

export interface BareProviderSetup {
  clientId: string;
  clientSecret: string;
  resourceServers: { identifier: string; scope: string; alg: 'RS256' | 'ES256' }[];
}

const setup = JSON.parse(process.env.BARE_PROVIDER_SETUP ?? '') as BareProviderSetup;
const port = Number(process.env.PORT);

async function privateJwk(alg: 'RS256' | 'ES256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: alg };
}

const configuration: Configuration = {
  clients: [{ client_id: setup.clientId, client_secret: setup.clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
  // Set, so that the default TTL functions print no "oidc-provider NOTICE" line.
  ttl: { AccessToken: 3600, ClientCredentials: 600, IdToken: 3600, Interaction: 3600, RefreshToken: 86_400, Session: 86_400, Grant: 86_400 },
  jwks: { keys: [await privateJwk('RS256'), await privateJwk('ES256')] as NonNullable<Configuration['jwks']>['keys'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      useGrantedResource: () => true,
      getResourceServerInfo(_ctx, indicator) {
        const server = setup.resourceServers.find((candidate) => candidate.identifier === indicator);
        if (!server) throw new errors.InvalidTarget();
        return { scope: server.scope, audience: server.identifier, accessTokenFormat: 'jwt', jwt: { sign: { alg: server.alg } } };
      },
    },
  },
};

const provider = new Provider(`http://localhost:${port}`, configuration);
const server = provider.listen(port);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
