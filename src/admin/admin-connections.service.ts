import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import type { ConnectionRepository, ConnectionSetupState } from '../federation/connection.repository.ts';
import type { CertificateExpiry, ConnectionSetupService } from '../federation/connection-setup.service.ts';
import { type ConnectionTestTickets, connectionTestTicketSeconds } from '../federation/connection-test-tickets.ts';
import { connectionTestUrl } from '../federation/connection-test-urls.ts';
import { oidcRedirectUri } from '../federation/oidc/oidc.connection.ts';
import { serviceProviderUrls } from '../federation/saml/saml.connection.ts';
import type { AttributePreset } from '../federation/saml/saml-attributes.ts';
import type { SsoEnforcementSetupService } from '../hrd/sso-enforcement-setup.service.ts';
import { AppError } from '../http/errors.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import { type AdminActor, adminChange, authorize, notFound } from './admin-principal.ts';

export interface AdminConnectionsDependencies {
  db: Db;
  issuer: string;
  connections: ConnectionRepository;
  setup: ConnectionSetupService;
  tickets: ConnectionTestTickets;
  enforcement: SsoEnforcementSetupService;
  organizations: OrganizationRepository;
  audit: AuditLog;
}

export interface NewAdminSamlConnection {
  name: string;
  metadata: { url: string } | { xml: string };
  /** The IdP's attribute names (ADFS, Entra ID, Okta, Google); detected from the metadata when absent. */
  preset?: AttributePreset | undefined;
}

export interface NewAdminOidcConnection {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** What the IdP's administrator needs from us: the SAML service provider's addresses, or the OIDC redirect URI. */
export type ServiceProviderDetails = { type: 'saml'; entityId: string; acsUrl: string; metadataUrl: string } | { type: 'oidc'; redirectUri: string };

export interface ConnectionDetails extends ConnectionSetupState {
  serviceProvider: ServiceProviderDetails;
  certificates: CertificateExpiry[];
}

export interface SsoOverview {
  connections: ConnectionSetupState[];
  ssoEnforced: boolean;
  breakGlassEmail: string | null;
}

const ssoEnforcedNeedsConnection = () =>
  new AppError('orgs.sso_enforced_needs_connection', 409, { message: 'SSO is enforced: relax it before disabling its last enabled connection' });

/**
 * An organization's SSO connections as its admins set them up in the admin center and the admin
 * API: a draft from metadata or discovery, a test sign-in, enabling, and (owners) enforcing SSO.
 * Every query is scoped by the organization; every change is audited in its own transaction.
 */
export class AdminConnectionsService {
  readonly #deps: AdminConnectionsDependencies;

  constructor(deps: AdminConnectionsDependencies) {
    this.#deps = deps;
  }

  async overview(actor: AdminActor, organizationId: string): Promise<SsoOverview> {
    authorize(actor.principal, 'admin', organizationId);
    const { connections, organizations } = this.#deps;
    const [list, enforcement] = await Promise.all([connections.setupsOfOrganization(organizationId), organizations.ssoEnforcementOf(organizationId)]);
    return { connections: list, ssoEnforced: enforcement?.enforced ?? false, breakGlassEmail: enforcement?.breakGlassEmail ?? null };
  }

  async get(actor: AdminActor, organizationId: string, connectionId: string): Promise<ConnectionDetails> {
    const setup = await this.#setup(actor, organizationId, connectionId);
    const { issuer } = this.#deps;
    const serviceProvider: ServiceProviderDetails =
      setup.type === 'saml' ? { type: 'saml', ...serviceProviderUrls(issuer, setup.id) } : { type: 'oidc', redirectUri: oidcRedirectUri(issuer, setup.id) };
    return { ...setup, serviceProvider, certificates: await this.#deps.setup.certificateExpiries(setup.id) };
  }

  /** A draft SAML connection from the IdP's metadata (a URL fetched SSRF-safely, or the document itself). */
  async createSaml(actor: AdminActor, organizationId: string, input: NewAdminSamlConnection): Promise<ConnectionDetails> {
    authorize(actor.principal, 'admin', organizationId);
    const created = await this.#deps.setup.createSaml(
      {
        organizationId,
        name: input.name,
        metadata: input.metadata,
        signAuthnRequests: true,
        enforceSso: false,
        ...(input.preset ? { attributes: { preset: input.preset } } : {}),
      },
      (trx, id) =>
        this.#record(trx, actor, organizationId, 'connection.created', id, {
          after: { type: 'saml', name: input.name, ...('url' in input.metadata ? { metadataUrl: input.metadata.url } : {}), preset: input.preset ?? null },
        }),
    );
    return this.get(actor, organizationId, created.id);
  }

  /** A draft OIDC connection; the issuer's discovery document must answer first. */
  async createOidc(actor: AdminActor, organizationId: string, input: NewAdminOidcConnection): Promise<ConnectionDetails> {
    authorize(actor.principal, 'admin', organizationId);
    const created = await this.#deps.setup.createOidc(
      { organizationId, name: input.name, issuer: input.issuer, clientId: input.clientId, clientSecret: input.clientSecret, enforceSso: false },
      (trx, id) =>
        this.#record(trx, actor, organizationId, 'connection.created', id, {
          after: { type: 'oidc', name: input.name, issuer: input.issuer, clientId: input.clientId },
        }),
    );
    return this.get(actor, organizationId, created.id);
  }

  /** Where the admin's browser runs the test sign-in: the real flow in draft mode, with a ticket valid an hour. */
  async testSignInUrl(actor: AdminActor, organizationId: string, connectionId: string): Promise<{ url: string; expiresInSeconds: number }> {
    const setup = await this.#setup(actor, organizationId, connectionId);
    const ticket = await this.#deps.tickets.issue(setup.id);
    return { url: `${this.#deps.issuer}${connectionTestUrl(setup.id)}?ticket=${encodeURIComponent(ticket)}`, expiresInSeconds: connectionTestTicketSeconds };
  }

  /** Home-realm discovery starts sending the organization's domains to it: refused before a successful test. */
  async enable(actor: AdminActor, organizationId: string, connectionId: string): Promise<ConnectionDetails> {
    const setup = await this.#setup(actor, organizationId, connectionId);
    if (!setup.enabled) {
      await this.#deps.setup.enable(setup.id, (trx) =>
        this.#record(trx, actor, organizationId, 'connection.enabled', setup.id, { before: { enabled: false }, after: { enabled: true } }),
      );
    }
    return this.get(actor, organizationId, connectionId);
  }

  /** Back to draft; refused for the last enabled connection while SSO is enforced (nobody could sign in). */
  async disable(actor: AdminActor, organizationId: string, connectionId: string): Promise<ConnectionDetails> {
    const setup = await this.#setup(actor, organizationId, connectionId);
    if (setup.enabled) {
      const { db, connections, organizations } = this.#deps;
      await db.transaction().execute(async (trx) => {
        const enforcement = await organizations.ssoEnforcementOf(organizationId, trx, { forUpdate: true });
        const othersEnabled = (await connections.setupsOfOrganization(organizationId, trx)).some((other) => other.enabled && other.id !== setup.id);
        if (enforcement?.enforced && !othersEnabled) throw ssoEnforcedNeedsConnection();
        await connections.setEnabled(trx, setup.id, false);
        await this.#record(trx, actor, organizationId, 'connection.disabled', setup.id, { before: { enabled: true }, after: { enabled: false } });
      });
    }
    return this.get(actor, organizationId, connectionId);
  }

  /** Owners only: everyone of the organization signs in through its IdP but the named break-glass owner. */
  async enforceSso(actor: AdminActor, organizationId: string, breakGlassEmail: string): Promise<SsoOverview> {
    authorize(actor.principal, 'owner', organizationId);
    await this.#deps.enforcement.enforce(organizationId, breakGlassEmail, (trx, breakGlassAccountId) =>
      this.#recordEnforcement(trx, actor, organizationId, 'sso.enforced', { accountId: breakGlassAccountId, email: breakGlassEmail }),
    );
    return this.overview(actor, organizationId);
  }

  async relaxSso(actor: AdminActor, organizationId: string): Promise<SsoOverview> {
    authorize(actor.principal, 'owner', organizationId);
    await this.#deps.enforcement.relax(organizationId, (trx) => this.#recordEnforcement(trx, actor, organizationId, 'sso.relaxed'));
    return this.overview(actor, organizationId);
  }

  async #setup(actor: AdminActor, organizationId: string, connectionId: string): Promise<ConnectionSetupState> {
    authorize(actor.principal, 'admin', organizationId);
    const setup = await this.#deps.connections.setupInOrganization(organizationId, connectionId);
    if (!setup) throw notFound();
    return setup;
  }

  /** Enforcing (with its break-glass owner) or relaxing SSO, in the organization's audit log. */
  #recordEnforcement(
    trx: Db,
    actor: AdminActor,
    organizationId: string,
    action: 'sso.enforced' | 'sso.relaxed',
    breakGlass?: { accountId: string; email: string },
  ) {
    const enforced = action === 'sso.enforced';
    return this.#deps.audit.record(
      trx,
      adminChange(actor, organizationId, {
        action,
        target: { type: 'organization', id: organizationId },
        before: { ssoEnforced: !enforced },
        after: { ssoEnforced: enforced, ...(breakGlass ? { breakGlass } : {}) },
      }),
    );
  }

  #record(trx: Db, actor: AdminActor, organizationId: string, action: string, connectionId: string, change: { before?: unknown; after?: unknown }) {
    return this.#deps.audit.record(trx, adminChange(actor, organizationId, { action, target: { type: 'connection', id: connectionId }, ...change }));
  }
}
