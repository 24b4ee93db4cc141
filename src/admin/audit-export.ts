import { stringify } from 'csv-stringify/sync';
import type { AuditEvent } from '../audit/audit-log.ts';

const csvColumns = ['created_at', 'action', 'actor_type', 'actor_id', 'target_type', 'target_id', 'before', 'after', 'ip', 'user_agent', 'request_id'];

/** One CSV row per event; before and after as JSON text. */
export function auditEventsAsCsv(events: AuditEvent[]): string {
  return stringify(
    events.map((event) => [
      event.createdAt.toISOString(),
      event.action,
      event.actor.type,
      event.actor.id ?? '',
      event.target.type,
      event.target.id ?? '',
      event.before === null ? '' : JSON.stringify(event.before),
      event.after === null ? '' : JSON.stringify(event.after),
      event.origin.ip ?? '',
      event.origin.userAgent ?? '',
      event.origin.requestId ?? '',
    ]),
    { header: true, columns: csvColumns },
  );
}

/** One JSON object per line. */
export function auditEventsAsNdjson(events: AuditEvent[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join('');
}
