import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export interface OrganizationMember {
  accountId: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  disabled: boolean;
  memberSince: Date;
}

export interface MemberSearch {
  /** Matches the start of the email or a part of the name, case-insensitively. */
  search?: string | undefined;
  limit: number;
  offset: number;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (match) => `\\${match}`);

/**
 * The people of one organization, as its admins see them. Every query is scoped by the
 * organization: an account that is not its member is not found, whoever asks.
 */
export class OrganizationMemberRepository {
  #members(db: Db, organizationId: string) {
    return db
      .selectFrom('organization_members')
      .innerJoin('accounts', 'accounts.id', 'organization_members.account_id')
      .where('organization_members.organization_id', '=', organizationId);
  }

  async list(db: Db, organizationId: string, search: MemberSearch): Promise<{ members: OrganizationMember[]; total: number }> {
    let query = this.#members(db, organizationId);
    if (search.search) {
      const pattern = escapeLike(search.search.toLowerCase());
      query = query.where((eb) => eb.or([eb('accounts.email', 'like', `${pattern}%`), eb(sql`lower(accounts.name)`, 'like', `%${pattern}%`)]));
    }
    const [rows, count] = await Promise.all([
      query.select(memberColumns).orderBy('accounts.email').limit(search.limit).offset(search.offset).execute(),
      query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { members: rows.map(toMember), total: Number(count.total) };
  }

  async find(db: Db, organizationId: string, accountId: string): Promise<OrganizationMember | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(accountId)) return undefined;
    const row = await this.#members(db, organizationId).select(memberColumns).where('accounts.id', '=', accountId).executeTakeFirst();
    return row && toMember(row);
  }

  async findByEmail(db: Db, organizationId: string, email: string): Promise<OrganizationMember | undefined> {
    const row = await this.#members(db, organizationId).select(memberColumns).where('accounts.email', '=', email).executeTakeFirst();
    return row && toMember(row);
  }

  async remove(trx: Db, organizationId: string, accountId: string): Promise<void> {
    await trx.deleteFrom('organization_members').where('organization_id', '=', organizationId).where('account_id', '=', accountId).execute();
  }
}

const memberColumns = [
  'accounts.id as accountId',
  'accounts.email',
  'accounts.name',
  'accounts.email_verified as emailVerified',
  'accounts.disabled_at as disabledAt',
  'organization_members.created_at as memberSince',
] as const;

function toMember(row: {
  accountId: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  disabledAt: Date | null;
  memberSince: Date;
}): OrganizationMember {
  return {
    accountId: row.accountId,
    email: row.email,
    name: row.name,
    emailVerified: row.emailVerified,
    disabled: row.disabledAt !== null,
    memberSince: row.memberSince,
  };
}
