import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { adminApiResource, ensureAdminApiResource } from '../oidc/admin-api-resource.ts';
import type { ClientRepository } from '../oidc/client.repository.ts';
import type { AdminApiClientRepository } from './admin-api-client.repository.ts';
import { type AdminActor, adminChange, authorize } from './admin-principal.ts';
import { type AdminRole, mayGrant } from './roles.ts';

export interface AdminApiClientsDependencies {
  db: Db;
  issuer: string;
  clients: ClientRepository;
  adminApiClients: AdminApiClientRepository;
  audit: AuditLog;
}

export interface CreatedAdminApiClient {
  clientId: string;
  clientSecret: string;
  role: AdminRole;
  organizationId: string | null;
  tokenEndpoint: string;
  resource: string;
}

/**
 * Machine clients of the admin API: client_credentials for the admin API's audience, acting for
 * one organization with a role up to the creator's own, or for the platform (operators only).
 */
export class AdminApiClientsService {
  readonly #deps: AdminApiClientsDependencies;

  constructor(deps: AdminApiClientsDependencies) {
    this.#deps = deps;
  }

  async create(actor: AdminActor, input: { name: string; organizationId: string | null; role: AdminRole }): Promise<CreatedAdminApiClient> {
    const held = authorize(actor.principal, input.organizationId === null ? 'operator' : 'owner', input.organizationId ?? undefined);
    if ((input.role === 'operator') !== (input.organizationId === null)) throw new AppError('admin.invalid_role', 400);
    if (!mayGrant(held, input.role)) throw new AppError('admin.role_above_own', 403);
    const { db, issuer, clients, adminApiClients, audit } = this.#deps;
    await ensureAdminApiResource(db, issuer);
    const resource = adminApiResource(issuer);
    // The client and its admin role commit together, with their audit record.
    const created = await db.transaction().execute(async (trx) => {
      const client = await clients.create(trx, { name: input.name, redirectUris: [], grantTypes: ['client_credentials'], allowedResources: [resource] });
      await adminApiClients.insert(trx, { client_id: client.clientId, organization_id: input.organizationId, role: input.role });
      await audit.record(
        trx,
        adminChange(actor, input.organizationId, {
          action: 'api_client.created',
          target: { type: 'client', id: client.clientId },
          after: { name: input.name, role: input.role },
        }),
      );
      return client;
    });
    return {
      clientId: created.clientId,
      clientSecret: created.clientSecret!,
      role: input.role,
      organizationId: input.organizationId,
      tokenEndpoint: `${issuer}/token`,
      resource,
    };
  }
}
