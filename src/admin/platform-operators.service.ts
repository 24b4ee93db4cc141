import type { AccountRepository } from '../accounts/account.repository.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { type AdminActor, adminChange, authorize } from './admin-principal.ts';
import type { PlatformOperatorRepository } from './platform-operator.repository.ts';

/** Platform operators are named by an operator (the first one on the command line). */
export class PlatformOperatorsService {
  readonly #deps: { db: Db; accounts: AccountRepository; operators: PlatformOperatorRepository; audit: AuditLog };

  constructor(deps: { db: Db; accounts: AccountRepository; operators: PlatformOperatorRepository; audit: AuditLog }) {
    this.#deps = deps;
  }

  async add(actor: AdminActor, email: string): Promise<{ accountId: string; email: string; added: boolean }> {
    authorize(actor.principal, 'operator');
    const { db, accounts, operators, audit } = this.#deps;
    return db.transaction().execute(async (trx) => {
      const account = await accounts.findByEmail(email, trx);
      if (!account) throw new AppError('admin.account_not_found', 404, { message: `No account for ${email}` });
      const added = await operators.add(trx, account.id);
      if (added) {
        await audit.record(
          trx,
          adminChange(actor, null, {
            action: 'operator.added',
            target: { type: 'account', id: account.id },
            after: { operator: true },
          }),
        );
      }
      return { accountId: account.id, email: account.email, added };
    });
  }
}
