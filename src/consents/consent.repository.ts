import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ConsentRow } from '../db/schema.ts';
import { withinTransaction } from '../db/transaction.ts';
import { type Consent, mergeConsents } from './consent.ts';

/** A third-party app the account has allowed, for the account page. */
export interface AllowedApp {
  clientId: string;
  clientName: string;
  scopes: string[];
  grantedAt: Date;
}

const toConsent = (row: Pick<ConsentRow, 'scopes' | 'claims' | 'resource_scopes'>): Consent => ({
  scopes: row.scopes,
  claims: row.claims,
  resourceScopes: Object.fromEntries(Object.entries(row.resource_scopes).map(([indicator, scope]) => [indicator, scope.split(' ').filter(Boolean)])),
});

const resourceScopesJson = (consent: Consent): string =>
  JSON.stringify(Object.fromEntries(Object.entries(consent.resourceScopes).map(([indicator, scopes]) => [indicator, scopes.join(' ')])));

/** Consents remembered per account and app, until the person removes them. */
export class ConsentRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async find(accountId: string, clientId: string): Promise<Consent | undefined> {
    const row = await this.#db
      .selectFrom('consents')
      .select(['scopes', 'claims', 'resource_scopes'])
      .where('account_id', '=', accountId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row && toConsent(row);
  }

  /** Adds to what the account allowed the app before (never narrows it). */
  async record(db: Db, accountId: string, clientId: string, consent: Consent): Promise<void> {
    await withinTransaction(db, async (trx) => {
      // Insert-then-lock: two consents recorded at once both end up in the row.
      await trx
        .insertInto('consents')
        .values({ account_id: accountId, client_id: clientId, resource_scopes: '{}' })
        .onConflict((oc) => oc.columns(['account_id', 'client_id']).doNothing())
        .execute();
      const row = await trx
        .selectFrom('consents')
        .select(['scopes', 'claims', 'resource_scopes'])
        .where('account_id', '=', accountId)
        .where('client_id', '=', clientId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const merged = mergeConsents(toConsent(row), consent);
      await trx
        .updateTable('consents')
        .set({ scopes: merged.scopes, claims: merged.claims, resource_scopes: resourceScopesJson(merged), updated_at: sql`now()` })
        .where('account_id', '=', accountId)
        .where('client_id', '=', clientId)
        .execute();
    });
  }

  async listThirdPartyOfAccount(accountId: string): Promise<AllowedApp[]> {
    const rows = await this.#db
      .selectFrom('consents')
      .innerJoin('clients', 'clients.id', 'consents.client_id')
      .select(['consents.client_id', 'clients.name', 'consents.scopes', 'consents.granted_at'])
      .where('consents.account_id', '=', accountId)
      .where('clients.first_party', '=', false)
      .orderBy('clients.name')
      .orderBy('consents.client_id')
      .execute();
    return rows.map((row) => ({ clientId: row.client_id, clientName: row.name, scopes: row.scopes, grantedAt: row.granted_at }));
  }

  async delete(db: Db, accountId: string, clientId: string): Promise<boolean> {
    const result = await db.deleteFrom('consents').where('account_id', '=', accountId).where('client_id', '=', clientId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
