import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { FederationConnectionRow } from '../db/schema.ts';
import type { ConnectionRecord } from './upstream-connection.ts';

export interface ConnectionSummary {
  id: string;
  organizationId: string | null;
  type: string;
  name: string;
}

/** A connection as lists name it. */
export interface ConnectionLabel {
  id: string;
  kind: ConnectionRecord['kind'];
  name: string;
}

/**
 * Stored connections are organizations' company IdPs; social providers come from the configuration
 * and only have a row (type `social`, never loaded) for their identities to reference.
 */
const kindOf = (type: string): ConnectionRecord['kind'] => (type === 'social' ? 'social' : 'enterprise');

/** Upstream connections; their secrets (client secrets, SP private keys) are stored sealed. */
export class ConnectionRepository {
  readonly #db: Db;
  readonly #secrets: SecretBox;

  constructor(db: Db, secrets: SecretBox) {
    this.#db = db;
    this.#secrets = secrets;
  }

  async insert(db: Db, connection: Omit<ConnectionRecord, 'enabled' | 'kind'>): Promise<void> {
    await db
      .insertInto('federation_connections')
      .values({
        id: connection.id,
        organization_id: connection.organizationId,
        type: connection.type,
        name: connection.name,
        settings: JSON.stringify(connection.settings),
        secrets_encrypted: Object.keys(connection.secrets).length > 0 ? await this.#secrets.seal(JSON.stringify(connection.secrets)) : null,
      })
      .execute();
  }

  async findById(id: string): Promise<ConnectionRecord | undefined> {
    const row = await this.#db.selectFrom('federation_connections').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#toRecord(row);
  }

  /** Who the connections are (kind and name), for pages that list them: their secrets are neither read nor decrypted. */
  async listLabels(ids: readonly string[]): Promise<ConnectionLabel[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.selectFrom('federation_connections').select(['id', 'type', 'name']).where('id', 'in', ids).execute();
    return rows.map((row) => ({ id: row.id, kind: kindOf(row.type), name: row.name }));
  }

  /** The connection home-realm discovery sends an organization's users to: its oldest enabled one. */
  firstEnabledOfOrganization(organizationId: string): Promise<ConnectionSummary | undefined> {
    return this.#db
      .selectFrom('federation_connections')
      .select(['id', 'organization_id as organizationId', 'type', 'name'])
      .where('organization_id', '=', organizationId)
      .where('enabled', '=', true)
      .orderBy('created_at')
      .orderBy('id')
      .executeTakeFirst();
  }

  async #toRecord(row: FederationConnectionRow): Promise<ConnectionRecord> {
    return {
      id: row.id,
      kind: kindOf(row.type),
      organizationId: row.organization_id,
      type: row.type,
      name: row.name,
      settings: row.settings,
      secrets: row.secrets_encrypted ? (JSON.parse(await this.#secrets.open(row.secrets_encrypted)) as Record<string, string>) : {},
      enabled: row.enabled,
    };
  }
}
