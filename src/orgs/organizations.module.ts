import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { DnsTxtLookup } from './dns-txt-lookup.ts';
import { OrganizationRepository } from './organization.repository.ts';
import { OrganizationService } from './organization.service.ts';

/** Organizations and their proven domains, for services.ts. */
export function createOrganizations(config: Config, db: Db) {
  const organizations = new OrganizationRepository(db);
  return {
    organizations,
    organizationService: new OrganizationService(db, organizations, new DnsTxtLookup(config.dnsServers)),
  };
}

export type OrganizationsModule = ReturnType<typeof createOrganizations>;
