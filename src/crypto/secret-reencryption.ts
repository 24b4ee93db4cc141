import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** What can put a sealed value under the current secret: undefined when it already is. */
export interface Resealer {
  reseal(sealed: string): Promise<string | undefined>;
}

/** A column holding sealed values, the key of its rows, and the box that sealed them. */
export interface SealedColumn {
  table: string;
  key: string;
  column: string;
  box: Resealer;
}

/** Every value sealed with the key-encryption secret, by whichever box sealed it. */
export function everySealedColumn(boxes: { secretBox: Resealer; federationStates: Resealer }): SealedColumn[] {
  const { secretBox, federationStates } = boxes;
  return [
    { table: 'signing_keys', key: 'kid', column: 'private_jwk_encrypted', box: secretBox },
    { table: 'clients', key: 'id', column: 'secret_encrypted', box: secretBox },
    { table: 'client_previous_secrets', key: 'client_id', column: 'secret_encrypted', box: secretBox },
    { table: 'federation_connections', key: 'id', column: 'secrets_encrypted', box: secretBox },
    { table: 'federation_callbacks', key: 'id', column: 'payload_encrypted', box: secretBox },
    { table: 'outgoing_mails', key: 'id', column: 'content_encrypted', box: secretBox },
    { table: 'saml_requests', key: 'id', column: 'state_encrypted', box: federationStates },
  ];
}

export interface ReencryptionCount {
  /** Values rewritten under the current secret. */
  reencrypted: number;
  /** Values that were under it already. */
  current: number;
}

/**
 * Rewrites every sealed value under the current secret, in the one transaction `trx`: either all
 * of them are rewritten or, when one cannot be decrypted, none is. Rows are locked while they are
 * rewritten, so a concurrent change of one of them waits rather than being overwritten.
 */
export async function reencryptSealedColumns(trx: Db, columns: readonly SealedColumn[]): Promise<Record<string, ReencryptionCount>> {
  const counts: Record<string, ReencryptionCount> = {};
  for (const { table, key, column, box } of columns) {
    const rows = await sql<{ key: string; sealed: string }>`
      select ${sql.ref(key)}::text as key, ${sql.ref(column)} as sealed from ${sql.table(table)}
      where ${sql.ref(column)} is not null for update`.execute(trx);
    const count = { reencrypted: 0, current: 0 };
    for (const row of rows.rows) {
      const resealed = await box.reseal(row.sealed);
      if (resealed === undefined) {
        count.current += 1;
        continue;
      }
      await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${resealed} where ${sql.ref(key)}::text = ${row.key}`.execute(trx);
      count.reencrypted += 1;
    }
    counts[table] = count;
  }
  return counts;
}
