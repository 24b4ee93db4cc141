import type { Db } from '../db/database.ts';
import type { AuditLog, AuditOrigin } from './audit-log.ts';

/**
 * Sign-in events of organization members, in each of their organizations' audit logs (an account
 * outside any organization leaves none: its sign-ins are its own business).
 */
export class SignInAudit {
  readonly #db: Db;
  readonly #audit: AuditLog;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  async succeeded(accountId: string, method: string, amr: string[], origin: AuditOrigin): Promise<void> {
    await this.#record(accountId, 'sign_in.succeeded', { method, amr }, origin);
  }

  /** A wrong password for an existing account (unknown emails leave no trace: they belong to nobody). */
  async failed(email: string, method: string, origin: AuditOrigin): Promise<void> {
    const account = await this.#db.selectFrom('accounts').select('id').where('email', '=', email).executeTakeFirst();
    if (account) await this.#record(account.id, 'sign_in.failed', { method }, origin);
  }

  async #record(accountId: string, action: string, after: Record<string, unknown>, origin: AuditOrigin): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const memberships = await trx.selectFrom('organization_members').select('organization_id').where('account_id', '=', accountId).execute();
      for (const { organization_id } of memberships) {
        await this.#audit.record(trx, {
          organizationId: organization_id,
          actor: { type: 'account', id: accountId },
          origin,
          action,
          target: { type: 'account', id: accountId },
          after,
        });
      }
    });
  }
}
