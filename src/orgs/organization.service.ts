import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { OrganizationDomainRow, OrganizationRow } from '../db/schema.ts';
import { AppError } from '../http/errors.ts';
import { assertClaimableDomain } from './claimable-domain.ts';
import type { DnsTxtLookup } from './dns-txt-lookup.ts';
import type { OrganizationRepository } from './organization.repository.ts';

export const verificationRecordPrefix = '_signin-verification';
const verificationValuePrefix = 'signin-verification=';

export interface DomainClaim {
  domain: string;
  verified: boolean;
  /** The TXT record that proves ownership: name and exact value. */
  record: { name: string; value: string };
}

export interface OrganizationSummary {
  id: string;
  name: string;
  ssoEnforced: boolean;
  domains: DomainClaim[];
}

export function describeClaim(row: OrganizationDomainRow): DomainClaim {
  return {
    domain: row.domain,
    verified: row.verified_at !== null,
    record: { name: `${verificationRecordPrefix}.${row.domain}`, value: `${verificationValuePrefix}${row.verification_token}` },
  };
}

const domainTaken = (domain: string) => new AppError('orgs.domain_taken', 409, { message: `Another organization has already verified ${domain}` });

/** Organizations and their email domains. A domain routes users only once its ownership is proven. */
export class OrganizationService {
  readonly #db: Db;
  readonly #organizations: OrganizationRepository;
  readonly #dns: DnsTxtLookup;

  constructor(db: Db, organizations: OrganizationRepository, dns: DnsTxtLookup) {
    this.#db = db;
    this.#organizations = organizations;
    this.#dns = dns;
  }

  async create(input: { name: string; domains: string[]; verifiedByOperator: boolean }): Promise<OrganizationSummary> {
    for (const domain of input.domains) assertClaimableDomain(domain);
    const organization = await this.#db.transaction().execute(async (trx) => {
      const created = await this.#organizations.insert(trx, input.name);
      for (const domain of input.domains) {
        await this.#organizations.insertDomain(trx, created.id, domain, randomBytes(24).toString('base64url'));
        if (input.verifiedByOperator && !(await this.#organizations.markDomainVerified(trx, created.id, domain, 'operator'))) throw domainTaken(domain);
      }
      return created;
    });
    return this.summary(organization);
  }

  async summary(organization: OrganizationRow): Promise<OrganizationSummary> {
    const domains = await this.#organizations.domainsOf(organization.id);
    return { id: organization.id, name: organization.name, ssoEnforced: organization.sso_enforced, domains: domains.map(describeClaim) };
  }

  /** An organization by id, or by name when that name is unique. */
  async find(reference: string): Promise<OrganizationRow> {
    const byId = await this.#organizations.findById(reference);
    if (byId) return byId;
    const byName = await this.#organizations.findByName(reference);
    if (byName.length === 1) return byName[0]!;
    throw byName.length > 1
      ? new AppError('orgs.ambiguous_name', 409, { message: `Several organizations are named ${reference}: use the id` })
      : new AppError('orgs.not_found', 404, { message: `No organization ${reference}` });
  }

  /** Claims a domain (in the caller's transaction when given: the admin center's audit record). */
  async addDomain(organizationId: string, domain: string, trx: Db = this.#db): Promise<DomainClaim> {
    assertClaimableDomain(domain);
    return describeClaim(await this.#organizations.insertDomain(trx, organizationId, domain, randomBytes(24).toString('base64url')));
  }

  /**
   * Proves a claimed domain: its TXT record `_signin-verification.<domain>` must hold our token,
   * or an operator vouches for it (`force`). A domain another organization proved stays theirs.
   */
  async verifyDomain(organizationId: string, domain: string, options: { force: boolean; record?: (trx: Db) => Promise<void> }): Promise<DomainClaim> {
    const claim = (await this.#organizations.domainsOf(organizationId)).find((row) => row.domain === domain);
    if (!claim) throw new AppError('orgs.domain_not_claimed', 404, { message: `The organization has not claimed ${domain}: add it first` });
    const described = describeClaim(claim);
    if (!options.force) {
      const values = await this.#dns.txt(described.record.name);
      if (!values.includes(described.record.value)) {
        throw new AppError('orgs.domain_record_missing', 400, { message: `No TXT record ${described.record.name} with value ${described.record.value}` });
      }
    }
    // `record` (the audit log) commits with the proof or not at all.
    await this.#db.transaction().execute(async (trx) => {
      if (!(await this.#organizations.markDomainVerified(trx, organizationId, domain, options.force ? 'operator' : 'dns'))) throw domainTaken(domain);
      await options.record?.(trx);
    });
    return { ...described, verified: true };
  }

  async setSsoEnforced(organizationId: string, enforced: boolean): Promise<void> {
    await this.#organizations.setSsoEnforced(this.#db, organizationId, enforced);
  }
}
