import type { Db } from '../db/database.ts';
import type { OrganizationMfaPolicyRow } from '../db/schema.ts';

export interface MfaPolicyChange {
  requireMfa: boolean;
  phishingResistant: boolean;
  graceDays: number;
}

/** Organizations' MFA requirements and the upstream amr/acr values each connection is trusted for. */
export class FactorPolicyRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The strictest policy among the organizations the account belongs to comes first. */
  policiesOfAccount(accountId: string, db: Db = this.#db): Promise<OrganizationMfaPolicyRow[]> {
    return db
      .selectFrom('organization_mfa_policies')
      .innerJoin('organization_members', 'organization_members.organization_id', 'organization_mfa_policies.organization_id')
      .selectAll('organization_mfa_policies')
      .where('organization_members.account_id', '=', accountId)
      .orderBy('phishing_resistant', 'desc')
      .execute();
  }

  findOfOrganization(organizationId: string, db: Db = this.#db): Promise<OrganizationMfaPolicyRow | undefined> {
    return db.selectFrom('organization_mfa_policies').selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
  }

  /** Turning the requirement on starts the grace period now; changing its options keeps the start. */
  async set(trx: Db, organizationId: string, change: MfaPolicyChange, at: Date): Promise<void> {
    if (!change.requireMfa) {
      await trx.deleteFrom('organization_mfa_policies').where('organization_id', '=', organizationId).execute();
      return;
    }
    const options = { phishing_resistant: change.phishingResistant, grace_days: change.graceDays };
    await trx
      .insertInto('organization_mfa_policies')
      .values({ organization_id: organizationId, ...options, required_since: at })
      .onConflict((oc) => oc.column('organization_id').doUpdateSet(options))
      .execute();
  }

  async upstreamTrust(connectionId: string, db: Db = this.#db): Promise<{ amr: string[]; acr: string[] }> {
    const row = await db.selectFrom('connection_upstream_trust').selectAll().where('connection_id', '=', connectionId).executeTakeFirst();
    return { amr: row?.trusted_amr ?? [], acr: row?.trusted_acr ?? [] };
  }

  async setUpstreamTrust(trx: Db, connectionId: string, trust: { amr: string[]; acr: string[] }): Promise<void> {
    await trx
      .insertInto('connection_upstream_trust')
      .values({ connection_id: connectionId, trusted_amr: trust.amr, trusted_acr: trust.acr })
      .onConflict((oc) => oc.column('connection_id').doUpdateSet({ trusted_amr: trust.amr, trusted_acr: trust.acr }))
      .execute();
  }
}
