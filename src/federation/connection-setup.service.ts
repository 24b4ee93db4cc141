import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import type { ConnectionRepository } from './connection.repository.ts';
import { defaultOidcClaims, type OidcSettings } from './oidc/oidc.connection.ts';
import { parseIdpMetadata } from './saml/idp-metadata.ts';
import { type SamlSettings, serviceProviderUrls } from './saml/saml.connection.ts';
import { defaultAttributeMapping } from './saml/saml-attributes.ts';
import { generateSpCredentials } from './saml/sp-credentials.ts';
import type { ConnectionRecord } from './upstream-connection.ts';

export interface NewSamlConnection {
  organizationId: string;
  name: string;
  metadata: { xml: string } | { url: string };
  enforceSso: boolean;
  signAuthnRequests: boolean;
  loginHint?: SamlSettings['loginHint'];
}

export interface NewOidcConnection {
  organizationId: string | null;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes?: string[];
  enforceSso: boolean;
}

const newConnectionId = (type: string) => `${type}-${randomBytes(8).toString('hex')}`;

/** Entra ID refuses a Subject in the AuthnRequest but reads `login_hint`; other IdPs take the Subject. */
function defaultLoginHint(entityId: string, ssoUrl: string): SamlSettings['loginHint'] {
  return /sts\.windows\.net|login\.microsoftonline\.com/.test(`${entityId} ${ssoUrl}`) ? 'query' : 'subject';
}

/** Creates connections for operators (CLI now, admin center later). */
export class ConnectionSetupService {
  readonly #db: Db;
  readonly #connections: ConnectionRepository;
  readonly #organizations: OrganizationRepository;
  readonly #issuer: string;
  readonly #allowInsecureRequests: boolean;

  constructor(deps: { db: Db; connections: ConnectionRepository; organizations: OrganizationRepository; issuer: string; allowInsecureRequests: boolean }) {
    this.#db = deps.db;
    this.#connections = deps.connections;
    this.#organizations = deps.organizations;
    this.#issuer = deps.issuer;
    this.#allowInsecureRequests = deps.allowInsecureRequests;
  }

  async createSaml(input: NewSamlConnection) {
    const metadataXml = 'xml' in input.metadata ? input.metadata.xml : await this.#fetchMetadata(input.metadata.url);
    const idp = parseIdpMetadata(metadataXml);
    const id = newConnectionId('saml');
    const sp = await generateSpCredentials(`${input.name} (${id})`);
    const settings: SamlSettings = {
      idp: { entityId: idp.entityId, ssoUrl: idp.ssoUrl, ssoBinding: idp.ssoBinding, certificates: idp.certificates },
      ...('url' in input.metadata ? { metadataUrl: input.metadata.url } : {}),
      signAuthnRequests: input.signAuthnRequests || idp.wantAuthnRequestsSigned,
      spCertificate: sp.certificatePem,
      loginHint: input.loginHint ?? defaultLoginHint(idp.entityId, idp.ssoUrl),
      attributes: defaultAttributeMapping,
    };
    await this.#save(
      { id, organizationId: input.organizationId, type: 'saml', name: input.name, settings, secrets: { spPrivateKey: sp.privateKeyPem } },
      input.enforceSso,
    );
    return { id, idpEntityId: idp.entityId, ...serviceProviderUrls(this.#issuer, id) };
  }

  async createOidc(input: NewOidcConnection) {
    const id = newConnectionId('oidc');
    const settings: OidcSettings = {
      issuer: input.issuer.replace(/\/$/, ''),
      clientId: input.clientId,
      scopes: input.scopes ?? ['openid', 'email', 'profile'],
      claims: defaultOidcClaims,
      userinfo: true,
      assumeEmailVerified: false,
      tokenEndpointAuthMethod: 'client_secret_basic',
      authorizationParams: {},
    };
    await this.#save(
      { id, organizationId: input.organizationId, type: 'oidc', name: input.name, settings, secrets: { clientSecret: input.clientSecret } },
      input.enforceSso,
    );
    return { id, redirectUri: `${this.#issuer}/federation/${id}/callback` };
  }

  async #save(record: Omit<ConnectionRecord, 'enabled' | 'kind'>, enforceSso: boolean): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#connections.insert(trx, record);
      if (enforceSso && record.organizationId) await this.#organizations.setSsoEnforced(trx, record.organizationId, true);
    });
  }

  async #fetchMetadata(url: string): Promise<string> {
    if (new URL(url).protocol !== 'https:' && !this.#allowInsecureRequests) {
      throw new AppError('federation.saml_metadata_invalid', 400, { message: 'The metadata URL must use https' });
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return await response.text();
    } catch (error) {
      throw new AppError('federation.saml_metadata_unreachable', 502, {
        message: `Could not fetch the IdP metadata: ${(error as Error).message}`,
        cause: error,
      });
    }
  }
}
