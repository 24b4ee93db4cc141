import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { OrganizationDomainRow, OrganizationRow } from '../db/schema.ts';
import { isUniqueViolation } from '../db/transaction.ts';

export class OrganizationRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  insert(db: Db, name: string): Promise<OrganizationRow> {
    return db.insertInto('organizations').values({ name }).returningAll().executeTakeFirstOrThrow();
  }

  findById(id: string, db: Db = this.#db): Promise<OrganizationRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return Promise.resolve(undefined);
    return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByName(name: string, db: Db = this.#db): Promise<OrganizationRow[]> {
    return db.selectFrom('organizations').selectAll().where('name', '=', name).execute();
  }

  async setSsoEnforced(db: Db, id: string, enforced: boolean): Promise<void> {
    await db.updateTable('organizations').set({ sso_enforced: enforced, updated_at: sql`now()` }).where('id', '=', id).execute();
  }

  /** SSO enforced or not, and the break-glass owner who keeps a password under it (null when not enforced). */
  async setSsoEnforcement(db: Db, id: string, enforcement: { enforced: boolean; breakGlassAccountId: string | null }): Promise<void> {
    await db
      .updateTable('organizations')
      .set({ sso_enforced: enforcement.enforced, sso_break_glass_account_id: enforcement.breakGlassAccountId, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Whether SSO is enforced and who the break-glass owner is; `forUpdate` holds the row against a concurrent change. */
  ssoEnforcementOf(id: string, db: Db = this.#db, { forUpdate = false } = {}): Promise<{ enforced: boolean; breakGlassEmail: string | null } | undefined> {
    const query = db
      .selectFrom('organizations')
      .leftJoin('accounts', 'accounts.id', 'organizations.sso_break_glass_account_id')
      .select(['organizations.sso_enforced as enforced', 'accounts.email as breakGlassEmail'])
      .where('organizations.id', '=', id);
    return (forUpdate ? query.forUpdate('organizations') : query).executeTakeFirst();
  }

  /** Whether `email` is the organization's break-glass owner. */
  async isBreakGlassEmail(organizationId: string, email: string, db: Db = this.#db): Promise<boolean> {
    const row = await db
      .selectFrom('organizations')
      .innerJoin('accounts', 'accounts.id', 'organizations.sso_break_glass_account_id')
      .select('organizations.id')
      .where('organizations.id', '=', organizationId)
      .where('accounts.email', '=', email.trim().toLowerCase())
      .executeTakeFirst();
    return row !== undefined;
  }

  insertDomain(db: Db, organizationId: string, domain: string, verificationToken: string): Promise<OrganizationDomainRow> {
    return db
      .insertInto('organization_domains')
      .values({ organization_id: organizationId, domain, verification_token: verificationToken })
      .onConflict((oc) => oc.columns(['organization_id', 'domain']).doUpdateSet({ domain }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  domainsOf(organizationId: string, db: Db = this.#db): Promise<OrganizationDomainRow[]> {
    return db.selectFrom('organization_domains').selectAll().where('organization_id', '=', organizationId).orderBy('domain').execute();
  }

  findVerifiedDomain(domain: string, db: Db = this.#db): Promise<OrganizationDomainRow | undefined> {
    return db.selectFrom('organization_domains').selectAll().where('domain', '=', domain).where('verified_at', 'is not', null).executeTakeFirst();
  }

  /** Marks the claim verified; false when another organization holds the domain already (unique index). */
  async markDomainVerified(db: Db, organizationId: string, domain: string, verifiedBy: 'dns' | 'operator'): Promise<boolean> {
    try {
      await db
        .updateTable('organization_domains')
        .set({ verified_at: sql`coalesce(verified_at, now())`, verified_by: sql`coalesce(verified_by, ${verifiedBy})` })
        .where('organization_id', '=', organizationId)
        .where('domain', '=', domain)
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Domains proven by their TXT record (an operator's word is not re-checked), for the daily re-check. */
  dnsVerifiedDomains(db: Db = this.#db): Promise<OrganizationDomainRow[]> {
    return db.selectFrom('organization_domains').selectAll().where('verified_at', 'is not', null).where('verified_by', '=', 'dns').orderBy('domain').execute();
  }

  /** The TXT record is gone: the domain stops routing until it is verified again. */
  async markDomainLost(db: Db, organizationId: string, domain: string): Promise<void> {
    await db
      .updateTable('organization_domains')
      .set({ verified_at: null, verified_by: null, verification_lost_at: sql`now()` })
      .where('organization_id', '=', organizationId)
      .where('domain', '=', domain)
      .execute();
  }

  async addMember(db: Db, organizationId: string, accountId: string): Promise<void> {
    await db
      .insertInto('organization_members')
      .values({ organization_id: organizationId, account_id: accountId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  organizationsOfAccount(accountId: string, db: Db = this.#db): Promise<OrganizationRow[]> {
    return db
      .selectFrom('organization_members')
      .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
      .selectAll('organizations')
      .where('organization_members.account_id', '=', accountId)
      .execute();
  }
}
