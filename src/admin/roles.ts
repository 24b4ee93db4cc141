import type { OrganizationAdminRole } from '../db/schema.ts';

/** Admin roles from the least to the most powerful: an organization's admin and owner, the platform operator. */
export const adminRoles = ['admin', 'owner', 'operator'] as const;
export type AdminRole = (typeof adminRoles)[number];
export const organizationRoles = ['admin', 'owner'] as const satisfies readonly OrganizationAdminRole[];

export function roleAtLeast(held: AdminRole, needed: AdminRole): boolean {
  return adminRoles.indexOf(held) >= adminRoles.indexOf(needed);
}

/** Who holds a role may grant (or take away) that role and the ones below it, never more. */
export const mayGrant = roleAtLeast;
