import { type AdminActor, auditActor } from '../admin/admin-principal.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/transaction.ts';
import { ScimError } from './scim-error.ts';

export const uniqueness = (detail: string) => new ScimError('scim.uniqueness', 409, 'uniqueness', detail);

/** One transaction per SCIM request; a unique index refusing a value (externalId, userName, displayName) is a 409 uniqueness. */
export async function scimTransaction<T>(db: Db, conflict: string, work: (trx: Db) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(work);
  } catch (error) {
    if (isUniqueViolation(error)) throw uniqueness(conflict);
    throw error;
  }
}

/** Records a change of SCIM provisioning (by the IdP, actor type 'scim', or by an owner to its tokens) in the change's transaction. */
export function recordScimChange(
  audit: AuditLog,
  trx: Db,
  actor: AdminActor,
  change: { organizationId: string; action: string; target: { type: string; id: string }; before: unknown; after: unknown },
): Promise<void> {
  return audit.record(trx, { ...change, actor: auditActor(actor.principal), origin: actor.origin });
}
