import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { ClientRepository, ClientSummary } from '../oidc/client.repository.ts';
import {
  ClientNotFoundError,
  type ClientRegistration,
  type ClientScope,
  clientRegistrationSchema,
  deleteClient,
  listClients,
  platformScope,
  type RedirectUris,
  redirectUrisSchema,
  registerClient,
  rotateClientSecret,
  updateClientRedirectUris,
} from '../oidc/client-registration.ts';
import { type InitialAccessToken, issueInitialAccessToken } from '../oidc/dynamic-registration.ts';
import { type AdminActor, adminChange, authorize, notFound } from './admin-principal.ts';
import type { OrganizationAppsRepository } from './organization-apps.repository.ts';

export interface AdminAppsDependencies {
  db: Db;
  clients: ClientRepository;
  organizationApps: OrganizationAppsRepository;
  audit: AuditLog;
  /** How long a replaced secret keeps working by default (CLIENT_SECRET_GRACE_DAYS, as the CLI's rotate-secret). */
  secretGraceDays: number;
}

/** An organization whose admins the operator has not allowed to manage its apps. */
export const appsNotAllowed = () => new AppError('admin.apps_not_allowed', 403);

/** Whose apps: an organization's (its id), or the platform's (null: operators only). */
export type AppsOwner = string | null;

export interface CreatedApp {
  clientId: string;
  /** Shown once (confidential apps): only its sealed form is kept. */
  clientSecret?: string | undefined;
  organizationId: string | null;
}

export interface RotatedAppSecret {
  clientId: string;
  /** Shown once. */
  clientSecret: string;
  previousSecretExpiresAt: Date | null;
}

/**
 * App registrations (OIDC clients) from the admin center and the admin API: operators manage the
 * platform's apps and every organization's; an organization's admins manage its own apps only
 * where an operator allowed it (`apps_allowed`). Every rule of a registration is the one the CLI
 * applies (src/oidc/client-registration.ts); every change is audited in its transaction, never
 * with a secret.
 */
export class AdminAppsService {
  readonly #deps: AdminAppsDependencies;

  constructor(deps: AdminAppsDependencies) {
    this.#deps = deps;
  }

  get defaultGraceDays(): number {
    return this.#deps.secretGraceDays;
  }

  /** Whether the actor may manage these apps (the page says so rather than erroring); the platform's: operators only. */
  async mayManage(actor: AdminActor, owner: AppsOwner): Promise<boolean> {
    if (owner === null) return authorize(actor.principal, 'operator') === 'operator';
    const held = authorize(actor.principal, 'admin', owner);
    return held === 'operator' || (await this.#deps.organizationApps.appsAllowed(this.#deps.db, owner)) === true;
  }

  /**
   * The scope a change runs in. The platform's scope reaches every app, so a change there is refused
   * for an organization's app: it is made on the organization's page, and audited in its log.
   */
  async #scope(actor: AdminActor, owner: AppsOwner, db: Db = this.#deps.db, clientId?: string): Promise<ClientScope> {
    if (owner === null) {
      authorize(actor.principal, 'operator');
      if (clientId !== undefined && (await this.#deps.clients.list(undefined)).some((app) => app.clientId === clientId && app.organizationId !== null)) {
        throw notFound();
      }
      return platformScope;
    }
    const held = authorize(actor.principal, 'admin', owner);
    if (held !== 'operator' && (await this.#deps.organizationApps.appsAllowed(db, owner)) !== true) throw appsNotAllowed();
    return { kind: 'organization', organizationId: owner };
  }

  /** An organization's apps, or the platform's own (each organization's are on its own list). */
  async list(actor: AdminActor, owner: AppsOwner): Promise<ClientSummary[]> {
    const apps = await listClients(this.#deps.clients, await this.#scope(actor, owner));
    return owner === null ? apps.filter((app) => app.organizationId === null) : apps;
  }

  async get(actor: AdminActor, owner: AppsOwner, clientId: string): Promise<ClientSummary> {
    const app = (await this.list(actor, owner)).find((candidate) => candidate.clientId === clientId);
    if (!app) throw notFound();
    return app;
  }

  async create(actor: AdminActor, owner: AppsOwner, registration: ClientRegistration | Record<string, unknown>): Promise<CreatedApp> {
    const { db, clients, audit } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const scope = await this.#scope(actor, owner, trx);
      const created = await registerClient(trx, clients, registration, scope);
      // Registered: the registration is valid (what registerClient checked it with).
      const app = clientRegistrationSchema.parse(registration);
      await audit.record(
        trx,
        adminChange(actor, owner, {
          action: 'client.registered',
          target: { type: 'client', id: created.clientId },
          before: null,
          after: describe(app),
        }),
      );
      return { clientId: created.clientId, clientSecret: created.clientSecret, organizationId: owner };
    });
  }

  async rotateSecret(actor: AdminActor, owner: AppsOwner, clientId: string, options: { graceDays?: number | undefined } = {}): Promise<RotatedAppSecret> {
    const graceDays = options.graceDays ?? this.#deps.secretGraceDays;
    const { db, clients, audit } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const scope = await this.#scope(actor, owner, trx, clientId);
      const rotated = await found(() => rotateClientSecret(trx, clients, scope, clientId, { graceSeconds: graceDays * 86_400 }));
      await audit.record(
        trx,
        adminChange(actor, owner, {
          action: 'client.secret_rotated',
          target: { type: 'client', id: clientId },
          before: null,
          after: { previousSecretExpiresAt: rotated.previousSecretExpiresAt },
        }),
      );
      return rotated;
    });
  }

  async updateRedirectUris(actor: AdminActor, owner: AppsOwner, clientId: string, uris: RedirectUris | Record<string, unknown>): Promise<ClientSummary> {
    const { db, clients, audit } = this.#deps;
    await db.transaction().execute(async (trx) => {
      const scope = await this.#scope(actor, owner, trx, clientId);
      const before = (await listClients(clients, scope)).find((candidate) => candidate.clientId === clientId);
      await found(() => updateClientRedirectUris(trx, clients, scope, clientId, uris));
      // Saved: the URIs are valid (what updateClientRedirectUris checked them with).
      const after = redirectUrisSchema.parse(uris);
      await audit.record(
        trx,
        adminChange(actor, owner, {
          action: 'client.redirect_uris_updated',
          target: { type: 'client', id: clientId },
          before: before ? { redirectUris: before.redirectUris, postLogoutRedirectUris: before.postLogoutRedirectUris } : null,
          after: { redirectUris: after.redirectUris, postLogoutRedirectUris: after.postLogoutRedirectUris ?? before?.postLogoutRedirectUris ?? [] },
        }),
      );
    });
    return this.get(actor, owner, clientId);
  }

  async delete(actor: AdminActor, owner: AppsOwner, clientId: string): Promise<void> {
    const { db, clients, audit } = this.#deps;
    await db.transaction().execute(async (trx) => {
      const scope = await this.#scope(actor, owner, trx, clientId);
      const before = (await listClients(clients, scope)).find((candidate) => candidate.clientId === clientId);
      await found(() => deleteClient(trx, clients, scope, clientId));
      await audit.record(
        trx,
        adminChange(actor, owner, {
          action: 'client.deleted',
          target: { type: 'client', id: clientId },
          before: before ? describe(before) : null,
          after: null,
        }),
      );
    });
  }

  /** An operator lets an organization's admins manage its apps, or stops them (its apps stay). */
  async setAppsAllowed(actor: AdminActor, organizationId: string, allowed: boolean): Promise<{ organizationId: string; appsAllowed: boolean }> {
    authorize(actor.principal, 'operator');
    const { db, organizationApps, audit } = this.#deps;
    await db.transaction().execute(async (trx) => {
      const previous = await organizationApps.setAppsAllowed(trx, organizationId, allowed);
      if (previous === undefined) throw notFound();
      await audit.record(
        trx,
        adminChange(actor, organizationId, {
          action: 'organization.apps_allowed',
          target: { type: 'organization', id: organizationId },
          before: { appsAllowed: previous },
          after: { appsAllowed: allowed },
        }),
      );
    });
    return { organizationId, appsAllowed: allowed };
  }

  /** A dynamic client registration (/reg) initial access token, as the CLI's `clients initial-access-token`; shown once. */
  async issueInitialAccessToken(actor: AdminActor, expiresInSeconds: number): Promise<InitialAccessToken> {
    authorize(actor.principal, 'operator');
    const { db, audit } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const issued = await issueInitialAccessToken(trx, expiresInSeconds);
      await audit.record(
        trx,
        adminChange(actor, null, {
          action: 'initial_access_token.issued',
          target: { type: 'initial_access_token' },
          before: null,
          after: { expiresAt: issued.expiresAt },
        }),
      );
      return issued;
    });
  }
}

/** What the audit log keeps of an app: its settings, never its secret. */
function describe(app: Pick<ClientSummary, 'name' | 'isPublic' | 'grantTypes' | 'redirectUris' | 'postLogoutRedirectUris'>) {
  return {
    name: app.name,
    isPublic: app.isPublic,
    grantTypes: app.grantTypes,
    redirectUris: app.redirectUris,
    postLogoutRedirectUris: app.postLogoutRedirectUris,
  };
}

/** Another organization's app, or none: the admin's "not found" (its existence is not revealed). */
async function found<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ClientNotFoundError) throw notFound();
    throw error;
  }
}
