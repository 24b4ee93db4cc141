import { sql } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import type { FederationConnectionRow } from '../db/schema.ts';
import type { ConnectionRecord } from './upstream-connection.ts';

export interface ConnectionSetupState {
  id: string;
  organizationId: string | null;
  type: string;
  name: string;
  enabled: boolean;
  testedAt: Date | null;
  testClaims: Record<string, unknown> | null;
}

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

const setupColumns = ['id', 'organization_id as organizationId', 'type', 'name', 'enabled', 'tested_at as testedAt', 'test_claims as testClaims'] as const;

/** Upstream connections; their secrets (client secrets, SP private keys) are stored sealed. */
export class ConnectionRepository {
  readonly #db: Db;
  readonly #secrets: SecretBox;

  constructor(db: Db, secrets: SecretBox) {
    this.#db = db;
    this.#secrets = secrets;
  }

  /** A new connection; `enabled` false makes it a draft, which only its test sign-in uses (the setup service always says). */
  async insert(db: Db, connection: Omit<ConnectionRecord, 'kind' | 'enabled'> & { enabled?: boolean }): Promise<void> {
    await db
      .insertInto('federation_connections')
      .values({
        id: connection.id,
        enabled: connection.enabled,
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

  /** Where a connection stands in its setup: draft or enabled, and its last successful test sign-in. */
  setupOf(id: string, db: Db = this.#db): Promise<ConnectionSetupState | undefined> {
    return db.selectFrom('federation_connections').select(setupColumns).where('id', '=', id).where('type', '!=', 'social').executeTakeFirst();
  }

  /** One of an organization's company connections; another organization's is not found. */
  setupInOrganization(organizationId: string, id: string, db: Db = this.#db): Promise<ConnectionSetupState | undefined> {
    return db
      .selectFrom('federation_connections')
      .select(setupColumns)
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .where('type', '!=', 'social')
      .executeTakeFirst();
  }

  /** An organization's company connections, oldest first. */
  setupsOfOrganization(organizationId: string, db: Db = this.#db): Promise<ConnectionSetupState[]> {
    return db
      .selectFrom('federation_connections')
      .select(setupColumns)
      .where('organization_id', '=', organizationId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async recordTest(db: Db, id: string, claims: Record<string, unknown>): Promise<void> {
    await db
      .updateTable('federation_connections')
      .set({ tested_at: sql`now()`, test_claims: JSON.stringify(claims), updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  async setEnabled(db: Db, id: string, enabled: boolean): Promise<void> {
    await db.updateTable('federation_connections').set({ enabled, updated_at: sql`now()` }).where('id', '=', id).execute();
  }

  async updateSettings(db: Db, id: string, settings: Record<string, unknown>): Promise<void> {
    await db
      .updateTable('federation_connections')
      .set({ settings: JSON.stringify(settings), updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** The ids of every stored connection of a type (the daily SAML jobs). */
  async idsOfType(type: string, db: Db = this.#db): Promise<string[]> {
    const rows = await db.selectFrom('federation_connections').select('id').where('type', '=', type).orderBy('id').execute();
    return rows.map((row) => row.id);
  }

  /** Records the expiry notices of a certificate, once per threshold; returns the thresholds new this time. */
  async recordCertificateNotices(db: Db, connectionId: string, certificateSha256: string, thresholds: readonly number[]): Promise<number[]> {
    if (thresholds.length === 0) return [];
    const inserted = await db
      .insertInto('certificate_expiry_notices')
      .values(thresholds.map((threshold) => ({ connection_id: connectionId, certificate_sha256: certificateSha256, threshold_days: threshold })))
      .onConflict((oc) => oc.doNothing())
      .returning('threshold_days')
      .execute();
    return inserted.map((row) => row.threshold_days);
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
