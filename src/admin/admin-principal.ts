import type { AuditActor, AuditEntry, AuditOrigin } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import type { AdminApiClientRow, OrganizationAdminRole } from '../db/schema.ts';
import { AppError } from '../http/errors.ts';
import type { OrganizationAdminRepository } from '../orgs/organization-admin.repository.ts';
import type { PlatformOperatorRepository } from './platform-operator.repository.ts';
import { type AdminRole, roleAtLeast } from './roles.ts';

/**
 * Who is acting in the admin center or the admin API, with every role they hold, read from the
 * database on each request (a role taken away applies at once, whatever tokens are out there).
 */
export type AdminPrincipal =
  | { kind: 'account'; accountId: string; operator: boolean; organizations: ReadonlyMap<string, OrganizationAdminRole> }
  | { kind: 'client'; clientId: string; role: AdminRole; organizationId: string | null }
  /** The operator's command line, on the machine itself. */
  | { kind: 'cli' }
  /** An organization's IdP provisioning through SCIM with one of its tokens (src/scim): an owner of that organization only. */
  | { kind: 'scim'; tokenId: string; organizationId: string };

/** The principal and where the request came from: what the services need to authorize and audit. */
export interface AdminActor {
  principal: AdminPrincipal;
  origin: AuditOrigin;
}

export const cliActor: AdminActor = { principal: { kind: 'cli' }, origin: {} };

export function auditActor(principal: AdminPrincipal): AuditActor {
  if (principal.kind === 'cli') return { type: 'cli' };
  if (principal.kind === 'scim') return { type: 'scim', id: principal.tokenId };
  return principal.kind === 'account' ? { type: 'account', id: principal.accountId } : { type: 'client', id: principal.clientId };
}

/** The audit entry of a change this actor made in an organization (null: the platform). */
export function adminChange(actor: AdminActor, organizationId: string | null, change: Pick<AuditEntry, 'action' | 'target' | 'before' | 'after'>): AuditEntry {
  return { organizationId, actor: auditActor(actor.principal), origin: actor.origin, ...change };
}

export function isOperator(principal: AdminPrincipal): boolean {
  if (principal.kind === 'cli') return true;
  if (principal.kind === 'scim') return false;
  return principal.kind === 'account' ? principal.operator : principal.role === 'operator';
}

/** The role the principal holds in one organization, if any (an operator holds it in all). */
export function roleIn(principal: AdminPrincipal, organizationId: string): AdminRole | undefined {
  if (isOperator(principal)) return 'operator';
  if (principal.kind === 'account') return principal.organizations.get(organizationId);
  if (principal.kind === 'cli') return 'operator';
  if (principal.kind === 'scim') return principal.organizationId === organizationId ? 'owner' : undefined;
  return principal.organizationId === organizationId ? principal.role : undefined;
}

/** Whether the principal holds any admin role at all. */
export function isAdmin(principal: AdminPrincipal): boolean {
  return principal.kind !== 'account' || principal.operator || principal.organizations.size > 0;
}

/** The organizations the principal may see; undefined for an operator (all of them). */
export function visibleOrganizations(principal: AdminPrincipal): string[] | undefined {
  if (isOperator(principal)) return undefined;
  if (principal.kind === 'account') return [...principal.organizations.keys()];
  if (principal.kind === 'cli') return undefined;
  return principal.organizationId ? [principal.organizationId] : [];
}

export const notAnAdmin = () => new AppError('admin.forbidden', 403);
/** Another organization's object looks like no object: its existence is not revealed. */
export const notFound = () => new AppError('admin.not_found', 404);

/**
 * The one authorization rule: a platform route needs an operator; an organization route needs a
 * role in that organization (none: 404, as if it did not exist) at least as high as the route's
 * (lower: 403).
 */
export function authorize(principal: AdminPrincipal, needed: AdminRole, organizationId?: string): AdminRole {
  if (organizationId === undefined) {
    const held: AdminRole | undefined = isOperator(principal) ? 'operator' : undefined;
    if (held && roleAtLeast(held, needed)) return held;
    if (needed === 'admin' && isAdmin(principal)) return 'admin';
    throw notAnAdmin();
  }
  const held = roleIn(principal, organizationId);
  if (!held) throw isAdmin(principal) ? notFound() : notAnAdmin();
  if (!roleAtLeast(held, needed)) throw notAnAdmin();
  return held;
}

export interface AdminPrincipalDependencies {
  db: Db;
  operators: PlatformOperatorRepository;
  organizationAdmins: OrganizationAdminRepository;
}

export async function accountPrincipal({ db, operators, organizationAdmins }: AdminPrincipalDependencies, accountId: string): Promise<AdminPrincipal> {
  const [operator, roles] = await Promise.all([operators.isOperator(db, accountId), organizationAdmins.rolesOfAccount(db, accountId)]);
  return { kind: 'account', accountId, operator, organizations: new Map(roles.map((row) => [row.organizationId, row.role])) };
}

export function clientPrincipal(row: AdminApiClientRow): AdminPrincipal {
  return { kind: 'client', clientId: row.client_id, role: row.role, organizationId: row.organization_id };
}
