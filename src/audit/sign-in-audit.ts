import type { Db } from '../db/database.ts';
import type { AuditLog, AuditOrigin } from './audit-log.ts';

/**
 * Sign-in events of organization members, in each of their organizations' audit logs (an account
 * outside any organization leaves none: its sign-ins are its own business). One statement each:
 * this runs on every sign-in.
 */
export class SignInAudit {
  readonly #db: Db;
  readonly #audit: AuditLog;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  async succeeded(accountId: string, method: string, amr: string[], origin: AuditOrigin): Promise<void> {
    await this.#audit.recordForMemberships(
      this.#db,
      { accountId },
      {
        actor: { type: 'account', id: accountId },
        origin,
        action: 'sign_in.succeeded',
        target: { type: 'account', id: accountId },
        after: { method, amr },
      },
    );
  }

  /** A wrong password for an existing account (unknown emails leave no trace: they belong to nobody). */
  async failed(email: string, method: string, origin: AuditOrigin): Promise<void> {
    // No actor or target id given: the account's own id, found by the email.
    await this.#audit.recordForMemberships(
      this.#db,
      { email },
      {
        actor: { type: 'account' },
        origin,
        action: 'sign_in.failed',
        target: { type: 'account' },
        after: { method },
      },
    );
  }
}
