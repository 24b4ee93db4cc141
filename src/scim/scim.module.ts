import type { AccountRepository } from '../accounts/account.repository.ts';
import type { OrganizationUsersService } from '../admin/organization-users.service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';
import { OrganizationAdminRepository } from '../orgs/organization-admin.repository.ts';
import { ScimGroupRepository } from './scim-group.repository.ts';
import { ScimGroupsService } from './scim-groups.service.ts';
import { ScimRoleSync } from './scim-roles.ts';
import { ScimTokenRepository } from './scim-token.repository.ts';
import { ScimTokensService, scimBasePath } from './scim-tokens.service.ts';
import { ScimUserRepository } from './scim-user.repository.ts';
import { ScimUsersService } from './scim-users.service.ts';

export interface ScimModuleDependencies {
  db: Db;
  issuer: string;
  accounts: AccountRepository;
  organizations: OrganizationRepository;
  organizationUsers: OrganizationUsersService;
  audit: AuditLog;
}

/** SCIM provisioning: tokens (CLI and admin center), Users and Groups (the /scim/v2 API), for services.ts. */
export function createScim({ db, issuer, accounts, organizations, organizationUsers, audit }: ScimModuleDependencies) {
  const baseUrl = `${issuer}${scimBasePath}`;
  const users = new ScimUserRepository();
  const groups = new ScimGroupRepository();
  const roles = new ScimRoleSync({ users, groups, organizationAdmins: new OrganizationAdminRepository(), audit });
  return {
    baseUrl,
    tokens: new ScimTokensService({ db, issuer, tokens: new ScimTokenRepository(), audit }),
    users: new ScimUsersService({ db, baseUrl, accounts, organizations, organizationUsers, users, roles, audit }),
    groups: new ScimGroupsService({ db, baseUrl, groups, users, roles, audit }),
  };
}

export type ScimModule = ReturnType<typeof createScim>;
