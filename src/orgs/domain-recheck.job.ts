import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { DnsTxtLookup } from './dns-txt-lookup.ts';
import type { OrganizationRepository } from './organization.repository.ts';
import { describeClaim } from './organization.service.ts';
import type { OwnerMailer } from './owner-mail.ts';

export interface DomainRecheckDependencies {
  db: Db;
  organizations: OrganizationRepository;
  dns: Pick<DnsTxtLookup, 'txt'>;
  mailOwners: OwnerMailer;
}

/**
 * The daily re-check of domains proven by DNS: a domain whose TXT record is gone (the company let
 * the domain go, or removed the record) stops sending its users to the organization's IdP, and the
 * organization's owners are told how to restore it.
 */
export class DomainRecheckJob {
  static readonly jobName = 'domain-recheck';
  readonly #deps: DomainRecheckDependencies;

  constructor(deps: DomainRecheckDependencies) {
    this.#deps = deps;
  }

  async run(): Promise<{ checked: number; lost: string[] }> {
    const { db, organizations, dns, mailOwners } = this.#deps;
    const lost: string[] = [];
    const domains = await organizations.dnsVerifiedDomains();
    for (const row of domains) {
      const claim = describeClaim(row);
      let values: string[];
      try {
        values = await dns.txt(claim.record.name);
      } catch (error) {
        // Our resolver failing says nothing about the record: the domain keeps routing until a real answer.
        if (error instanceof AppError && error.code === 'orgs.dns_unreachable') continue;
        throw error;
      }
      if (values.includes(claim.record.value)) continue;
      await organizations.markDomainLost(db, row.organization_id, row.domain);
      lost.push(row.domain);
      const organization = await organizations.findById(row.organization_id);
      await mailOwners(row.organization_id, 'domain-verification-lost', {
        domain: row.domain,
        organization: organization?.name ?? '',
        recordName: claim.record.name,
        recordValue: claim.record.value,
      });
    }
    return { checked: domains.length, lost };
  }
}
