import type { Db } from '../db/database.ts';

/** Platform operators run every organization and the platform's apps. */
export class PlatformOperatorRepository {
  async add(trx: Db, accountId: string): Promise<boolean> {
    const inserted = await trx
      .insertInto('platform_operators')
      .values({ account_id: accountId })
      .onConflict((oc) => oc.doNothing())
      .returning('account_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async isOperator(db: Db, accountId: string): Promise<boolean> {
    return (await db.selectFrom('platform_operators').select('account_id').where('account_id', '=', accountId).executeTakeFirst()) !== undefined;
  }
}
