import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { AuditEventRow } from '../db/schema.ts';

/** Who did it: a person signed in to the admin center, a machine client, the operator's CLI, an IdP through SCIM, or the system. */
export interface AuditActor {
  type: 'account' | 'client' | 'cli' | 'scim' | 'system';
  id?: string | undefined;
}

/** Where the change came from. */
export interface AuditOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

export interface AuditEntry {
  organizationId: string | null;
  actor: AuditActor;
  origin: AuditOrigin;
  action: string;
  target: { type: string; id?: string | undefined };
  before?: unknown;
  after?: unknown;
}

export interface AuditFilters {
  action?: string | undefined;
  actorId?: string | undefined;
  targetId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
  /** Events strictly older than this one (paging newest first). */
  before?: { createdAt: Date; id: string } | undefined;
}

export interface AuditEvent {
  id: string;
  organizationId: string | null;
  actor: AuditActor;
  action: string;
  target: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  origin: { ip: string | null; userAgent: string | null; requestId: string | null };
  createdAt: Date;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

function toEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    organizationId: row.organization_id,
    actor: { type: row.actor_type as AuditActor['type'], ...(row.actor_id ? { id: row.actor_id } : {}) },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    before: row.before ?? null,
    after: row.after ?? null,
    origin: { ip: row.ip, userAgent: row.user_agent, requestId: row.request_id },
    createdAt: row.created_at,
  };
}

/**
 * The audit log: every admin change and sign-in event, written by the caller's transaction so
 * that a change and its record commit or roll back together.
 */
export class AuditLog {
  async record(trx: Db, entry: AuditEntry): Promise<void> {
    await trx
      .insertInto('audit_events')
      .values({
        organization_id: entry.organizationId,
        actor_type: entry.actor.type,
        actor_id: entry.actor.id ?? null,
        action: entry.action,
        target_type: entry.target.type,
        target_id: entry.target.id ?? null,
        before: json(entry.before),
        after: json(entry.after),
        ip: entry.origin.ip ?? null,
        user_agent: entry.origin.userAgent?.slice(0, 512) ?? null,
        request_id: entry.origin.requestId ?? null,
      })
      .execute();
  }

  /**
   * One entry in the log of every organization the account (by id, or by email) belongs to, in one
   * statement: a sign-in of someone outside any organization costs a single round trip and writes nothing.
   */
  async recordForMemberships(db: Db, member: { accountId: string } | { email: string }, entry: Omit<AuditEntry, 'organizationId'>): Promise<void> {
    const memberships = db
      .selectFrom('organization_members')
      .innerJoin('accounts', 'accounts.id', 'organization_members.account_id')
      .where('accountId' in member ? sql.ref('accounts.id') : sql.ref('accounts.email'), '=', 'accountId' in member ? member.accountId : member.email);
    await db
      .insertInto('audit_events')
      .columns(['organization_id', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'after', 'ip', 'user_agent', 'request_id'])
      .expression(
        memberships.select([
          'organization_members.organization_id',
          sql.val(entry.actor.type).as('actor_type'),
          entry.actor.id === undefined ? sql<string>`accounts.id::text`.as('actor_id') : sql.val(entry.actor.id).as('actor_id'),
          sql.val(entry.action).as('action'),
          sql.val(entry.target.type).as('target_type'),
          entry.target.id === undefined ? sql<string>`accounts.id::text`.as('target_id') : sql.val(entry.target.id).as('target_id'),
          sql`${json(entry.after)}::jsonb`.as('after'),
          sql.val(entry.origin.ip ?? null).as('ip'),
          sql.val(entry.origin.userAgent?.slice(0, 512) ?? null).as('user_agent'),
          sql.val(entry.origin.requestId ?? null).as('request_id'),
        ]),
      )
      .execute();
  }

  /** An organization's events (null: the platform's own), newest first. */
  async list(db: Db, organizationId: string | null, filters: AuditFilters): Promise<AuditEvent[]> {
    let query = db.selectFrom('audit_events').selectAll();
    query = organizationId === null ? query.where('organization_id', 'is', null) : query.where('organization_id', '=', organizationId);
    if (filters.action) query = query.where('action', '=', filters.action);
    if (filters.actorId) query = query.where('actor_id', '=', filters.actorId);
    if (filters.targetId) query = query.where('target_id', '=', filters.targetId);
    if (filters.since) query = query.where('created_at', '>=', filters.since);
    if (filters.until) query = query.where('created_at', '<', filters.until);
    if (filters.before) {
      const { createdAt, id } = filters.before;
      query = query.where(sql<boolean>`(created_at, id) < (${createdAt}, ${id}::uuid)`);
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filters.limit).execute();
    return rows.map(toEvent);
  }

  /** Deletes events older than the retention period; returns how many. */
  async purgeOlderThan(db: Db, retentionDays: number): Promise<number> {
    const result = await db.deleteFrom('audit_events').where('created_at', '<', sql<Date>`now() - make_interval(days => ${retentionDays})`).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
