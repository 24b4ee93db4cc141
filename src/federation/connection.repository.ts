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

/** Upstream connections; their secrets (client secrets, SP private keys) are stored sealed. */
export class ConnectionRepository {
  readonly #db: Db;
  readonly #secrets: SecretBox;

  constructor(db: Db, secrets: SecretBox) {
    this.#db = db;
    this.#secrets = secrets;
  }

  async insert(connection: Omit<ConnectionRecord, 'enabled' | 'kind'>): Promise<void> {
    await this.#db
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
      // Stored connections are organizations' company IdPs; social providers come from the configuration
      // and only have a row (type `social`, never loaded) for their identities to reference.
      kind: row.type === 'social' ? 'social' : 'enterprise',
      organizationId: row.organization_id,
      type: row.type,
      name: row.name,
      settings: row.settings,
      secrets: row.secrets_encrypted ? (JSON.parse(await this.#secrets.open(row.secrets_encrypted)) as Record<string, string>) : {},
      enabled: row.enabled,
    };
  }
}
