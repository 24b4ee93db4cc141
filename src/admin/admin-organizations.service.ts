import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import type { DomainClaim, OrganizationService, OrganizationSummary } from '../orgs/organization.service.ts';
import { type AdminActor, adminChange, authorize, notFound, visibleOrganizations } from './admin-principal.ts';

export interface AdminOrganizationsDependencies {
  db: Db;
  organizations: OrganizationRepository;
  organizationService: OrganizationService;
  audit: AuditLog;
}

/** Organizations and their domains as the admin center and the admin API show and change them. */
export class AdminOrganizationsService {
  readonly #deps: AdminOrganizationsDependencies;

  constructor(deps: AdminOrganizationsDependencies) {
    this.#deps = deps;
  }

  /** The organizations the actor administers (an operator: all of them). */
  async list(actor: AdminActor): Promise<OrganizationSummary[]> {
    authorize(actor.principal, 'admin');
    const { db, organizationService } = this.#deps;
    const visible = visibleOrganizations(actor.principal);
    if (visible?.length === 0) return [];
    let query = db.selectFrom('organizations').selectAll().orderBy('name');
    if (visible) query = query.where('id', 'in', visible);
    const rows = await query.execute();
    return Promise.all(rows.map((row) => organizationService.summary(row)));
  }

  async get(actor: AdminActor, organizationId: string): Promise<OrganizationSummary> {
    authorize(actor.principal, 'admin', organizationId);
    const organization = await this.#deps.organizations.findById(organizationId);
    if (!organization) throw notFound();
    return this.#deps.organizationService.summary(organization);
  }

  /** A new organization: operators only. */
  async create(actor: AdminActor, input: { name: string }): Promise<OrganizationSummary> {
    authorize(actor.principal, 'operator');
    const { db, organizations, organizationService, audit } = this.#deps;
    const created = await db.transaction().execute(async (trx) => {
      const organization = await organizations.insert(trx, input.name);
      await audit.record(
        trx,
        adminChange(actor, organization.id, {
          action: 'organization.created',
          target: { type: 'organization', id: organization.id },
          after: { name: organization.name },
        }),
      );
      return organization;
    });
    return organizationService.summary(created);
  }

  async claimDomain(actor: AdminActor, organizationId: string, domain: string): Promise<DomainClaim> {
    const organization = await this.get(actor, organizationId);
    if (organization.domains.some((claim) => claim.domain === domain)) throw new AppError('orgs.domain_already_claimed', 409);
    const { db, organizationService, audit } = this.#deps;
    await db.transaction().execute(async (trx) => {
      await organizationService.addDomain(organizationId, domain, trx);
      await audit.record(
        trx,
        adminChange(actor, organizationId, {
          action: 'domain.claimed',
          target: { type: 'domain', id: domain },
          after: { domain, verified: false },
        }),
      );
    });
    return (await this.get(actor, organizationId)).domains.find((claim) => claim.domain === domain)!;
  }

  /** Checks the domain's TXT record (the existing DNS check) and records the proof. */
  async verifyDomain(actor: AdminActor, organizationId: string, domain: string): Promise<DomainClaim> {
    const organization = await this.get(actor, organizationId);
    const claim = organization.domains.find((candidate) => candidate.domain === domain);
    if (!claim) throw notFound();
    if (claim.verified) return claim;
    const verified = await this.#deps.organizationService.verifyDomain(organizationId, domain, {
      force: false,
      record: (trx) =>
        this.#deps.audit.record(
          trx,
          adminChange(actor, organizationId, {
            action: 'domain.verified',
            target: { type: 'domain', id: domain },
            before: { verified: false },
            after: { verified: true },
          }),
        ),
    });
    return verified;
  }
}
