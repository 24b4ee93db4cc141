import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { AppError, NotFoundError } from '../http/errors.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import type { ConnectionRepository, ConnectionSetupState } from './connection.repository.ts';
import { defaultOidcClaims, type OidcSettings, oidcRedirectUri } from './oidc/oidc.connection.ts';
import { certificateExpiries, parseIdpMetadata } from './saml/idp-metadata.ts';
import { type SamlSettings, samlSettingsSchema, serviceProviderUrls } from './saml/saml.connection.ts';
import { type AttributeMapping, type AttributePreset, attributeMappingFor, detectAttributePreset } from './saml/saml-attributes.ts';
import { generateSpCredentials } from './saml/sp-credentials.ts';
import type { ConnectionRecord, UpstreamProfile } from './upstream-connection.ts';
import { fetchUpstreamDocument, type UpstreamFetchPolicy } from './upstream-document-fetch.ts';

/** How a new connection starts: a draft (the default), or enabled at once because an operator vouches for it. */
interface NewConnectionActivation {
  /** An operator vouches for the connection (like `orgs create --verified`): enabled without a test sign-in. */
  enabledByOperator?: boolean;
  /** Only with enabledByOperator: organization admins enforce SSO through OrganizationService.enforceSso. */
  enforceSso: boolean;
}

/** What the caller writes in the same transaction as a change (the admin center's audit row). */
export type AlongsideChange = (trx: Db, connectionId: string) => Promise<void>;

export interface NewSamlConnection extends NewConnectionActivation {
  organizationId: string;
  name: string;
  metadata: { xml: string } | { url: string };
  signAuthnRequests: boolean;
  loginHint?: SamlSettings['loginHint'];
  /** The IdP's attribute names: a preset (detected from the metadata when absent) and per-field overrides. */
  attributes?: { preset?: AttributePreset; overrides?: Partial<AttributeMapping> };
}

export interface NewOidcConnection extends NewConnectionActivation {
  organizationId: string | null;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes?: string[];
}

export interface CertificateExpiry {
  sha256: string;
  subject: string;
  notAfter: Date;
  daysLeft: number;
}

const newConnectionId = (type: string) => `${type}-${randomBytes(8).toString('hex')}`;
const dayMs = 86_400_000;

/** Entra ID refuses a Subject in the AuthnRequest but reads `login_hint`; other IdPs take the Subject. */
function defaultLoginHint(entityId: string, ssoUrl: string): SamlSettings['loginHint'] {
  return /sts\.windows\.net|login\.microsoftonline\.com/.test(`${entityId} ${ssoUrl}`) ? 'query' : 'subject';
}

/** The parts of an OIDC discovery document a connection relies on (OpenID Connect Discovery 1.0, section 3). */
const discoveryDocumentSchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
});

const notTested = () =>
  new AppError('federation.connection_not_tested', 409, { message: 'Run a successful test sign-in first (connections test --connection ID)' });

/**
 * Sets connections up, for operators (CLI) and organization admins (admin center): a new one is a
 * draft that home-realm discovery ignores until a test sign-in has succeeded and it is enabled.
 */
export class ConnectionSetupService {
  readonly #db: Db;
  readonly #connections: ConnectionRepository;
  readonly #organizations: OrganizationRepository;
  readonly #issuer: string;
  readonly #fetchPolicy: UpstreamFetchPolicy;

  constructor(deps: { db: Db; connections: ConnectionRepository; organizations: OrganizationRepository; issuer: string; fetchPolicy: UpstreamFetchPolicy }) {
    this.#db = deps.db;
    this.#connections = deps.connections;
    this.#organizations = deps.organizations;
    this.#issuer = deps.issuer;
    this.#fetchPolicy = deps.fetchPolicy;
  }

  async createSaml(input: NewSamlConnection, alongside?: AlongsideChange) {
    const metadataXml = 'xml' in input.metadata ? input.metadata.xml : await fetchUpstreamDocument(input.metadata.url, this.#fetchPolicy);
    const idp = parseIdpMetadata(metadataXml);
    const id = newConnectionId('saml');
    const sp = await generateSpCredentials(`${input.name} (${id})`);
    const preset = input.attributes?.preset ?? detectAttributePreset(idp);
    const settings: SamlSettings = {
      idp: { entityId: idp.entityId, ssoUrl: idp.ssoUrl, ssoBinding: idp.ssoBinding, certificates: idp.certificates },
      ...('url' in input.metadata ? { metadataUrl: input.metadata.url } : {}),
      signAuthnRequests: input.signAuthnRequests || idp.wantAuthnRequestsSigned,
      spCertificate: sp.certificatePem,
      loginHint: input.loginHint ?? defaultLoginHint(idp.entityId, idp.ssoUrl),
      attributes: attributeMappingFor(preset, input.attributes?.overrides),
    };
    await this.#save(
      { id, organizationId: input.organizationId, type: 'saml', name: input.name, settings, secrets: { spPrivateKey: sp.privateKeyPem } },
      input,
      alongside,
    );
    return { id, idpEntityId: idp.entityId, attributePreset: preset ?? null, draft: !input.enabledByOperator, ...serviceProviderUrls(this.#issuer, id) };
  }

  /**
   * An OIDC connection from its issuer alone: the issuer's discovery document must answer, for this
   * very issuer (fetched SSRF-safely). An operator vouching for it may set it up before the IdP
   * answers (its client registered afterwards, with the redirect URI printed here).
   */
  async createOidc(input: NewOidcConnection, alongside?: AlongsideChange) {
    const issuer = input.issuer.replace(/\/$/, '');
    if (!input.enabledByOperator) await this.#discover(issuer);
    const id = newConnectionId('oidc');
    const settings: OidcSettings = {
      issuer,
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
      input,
      alongside,
    );
    return { id, draft: !input.enabledByOperator, redirectUri: oidcRedirectUri(this.#issuer, id) };
  }

  /** Where a connection stands; another type (social) or an unknown id is not found. */
  async setupOf(connectionId: string): Promise<ConnectionSetupState> {
    const setup = await this.#connections.setupOf(connectionId);
    if (!setup) throw new NotFoundError('federation.connection_not_found');
    return setup;
  }

  /** A successful test sign-in: what the upstream sent is kept (and shown); the connection may now be enabled. */
  async recordTest(connectionId: string, profile: UpstreamProfile): Promise<Record<string, unknown>> {
    const claims = {
      subject: profile.subject,
      email: profile.email ?? null,
      emailVerified: profile.emailVerified,
      givenName: profile.givenName ?? null,
      familyName: profile.familyName ?? null,
      name: profile.name ?? null,
      received: profile.received ?? {},
    };
    await this.#connections.recordTest(this.#db, connectionId, claims);
    return claims;
  }

  /** Home-realm discovery starts sending the organization's domains to the connection; refused before a successful test. */
  async enable(connectionId: string, alongside?: AlongsideChange): Promise<ConnectionSetupState> {
    return this.#db.transaction().execute(async (trx) => {
      const setup = await this.#connections.setupOf(connectionId, trx);
      if (!setup) throw new NotFoundError('federation.connection_not_found');
      if (!setup.testedAt) throw notTested();
      await this.#connections.setEnabled(trx, connectionId, true);
      await alongside?.(trx, connectionId);
      return { ...setup, enabled: true };
    });
  }

  /** The SAML connection's IdP signing certificates and when each expires (none for OIDC: its keys rotate through JWKS). */
  async certificateExpiries(connectionId: string, now = new Date()): Promise<CertificateExpiry[]> {
    const record = await this.#connections.findById(connectionId);
    if (record?.type !== 'saml') return [];
    const settings = samlSettingsSchema.parse(record.settings);
    return certificateExpiries(settings.idp.certificates).map((certificate) => ({
      ...certificate,
      daysLeft: Math.floor((certificate.notAfter.getTime() - now.getTime()) / dayMs),
    }));
  }

  /**
   * Fetches a SAML connection's metadata URL again and keeps its sign-in URL and certificates up to
   * date (IdPs roll their keys over in the metadata); false when the connection has no URL.
   */
  async refreshMetadata(connectionId: string): Promise<boolean> {
    const record = await this.#connections.findById(connectionId);
    if (record?.type !== 'saml') return false;
    const settings = samlSettingsSchema.parse(record.settings);
    if (!settings.metadataUrl) return false;
    const idp = parseIdpMetadata(await fetchUpstreamDocument(settings.metadataUrl, this.#fetchPolicy));
    // The entity id is who the assertions must come from: a document naming another IdP is not this connection's.
    if (idp.entityId !== settings.idp.entityId) {
      throw new AppError('federation.saml_metadata_invalid', 400, { message: `The metadata now names another IdP (${idp.entityId})` });
    }
    const refreshed: SamlSettings = {
      ...settings,
      idp: { entityId: idp.entityId, ssoUrl: idp.ssoUrl, ssoBinding: idp.ssoBinding, certificates: idp.certificates },
    };
    await this.#connections.updateSettings(this.#db, connectionId, refreshed);
    return true;
  }

  async #discover(issuer: string): Promise<void> {
    const document = await fetchUpstreamDocument(`${issuer}/.well-known/openid-configuration`, this.#fetchPolicy);
    let parsed: z.infer<typeof discoveryDocumentSchema> | undefined;
    try {
      parsed = discoveryDocumentSchema.safeParse(JSON.parse(document)).data;
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.issuer.replace(/\/$/, '') !== issuer) {
      throw new AppError('federation.oidc_discovery_invalid', 400, {
        message: `${issuer}/.well-known/openid-configuration is not this issuer's discovery document`,
      });
    }
  }

  async #save(record: Omit<ConnectionRecord, 'enabled' | 'kind'>, activation: NewConnectionActivation, alongside?: AlongsideChange): Promise<void> {
    if (activation.enforceSso && !activation.enabledByOperator) throw notTested();
    await this.#db.transaction().execute(async (trx) => {
      await this.#connections.insert(trx, { ...record, enabled: activation.enabledByOperator === true });
      if (activation.enforceSso && record.organizationId) await this.#organizations.setSsoEnforced(trx, record.organizationId, true);
      await alongside?.(trx, record.id);
    });
  }
}
