import type { AuditEvent, AuditFilters, AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { type AdminActor, authorize } from './admin-principal.ts';

/** The audit log as an organization's admins read it: their organization's events only. */
export class AuditEventsService {
  readonly #db: Db;
  readonly #audit: AuditLog;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  list(actor: AdminActor, organizationId: string, filters: AuditFilters): Promise<AuditEvent[]> {
    authorize(actor.principal, 'admin', organizationId);
    return this.#audit.list(this.#db, organizationId, filters);
  }
}
