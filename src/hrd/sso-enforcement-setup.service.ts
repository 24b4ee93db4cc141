import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { OrganizationRepository } from '../orgs/organization.repository.ts';

/** What enforcing SSO checks, each from the part that knows it. */
export interface SsoEnforcementSetupDependencies {
  db: Db;
  organizations: OrganizationRepository;
  /** An enabled connection exists: enabling one needed a successful test sign-in. */
  hasEnabledConnection(organizationId: string): Promise<boolean>;
  accountIdByEmail(email: string): Promise<string | undefined>;
  isOwner(db: Db, organizationId: string, accountId: string): Promise<boolean>;
  hasSecondFactor(accountId: string, db: Db): Promise<boolean>;
}

const breakGlassInvalid = (email: string) =>
  new AppError('orgs.break_glass_invalid', 400, { message: `${email} must be an owner of the organization with a second factor set up` });

/**
 * Turns enforced SSO on and off. On, nobody of the organization signs in with a password any more
 * except one named owner with a second factor (break glass), so an IdP outage never locks it out.
 */
export class SsoEnforcementSetupService {
  readonly #deps: SsoEnforcementSetupDependencies;

  constructor(deps: SsoEnforcementSetupDependencies) {
    this.#deps = deps;
  }

  /** `alongside` writes in the same transaction (the admin center's audit row). */
  async enforce(
    organizationId: string,
    breakGlassEmail: string | undefined,
    alongside?: (trx: Db, breakGlassAccountId: string) => Promise<void>,
  ): Promise<{ breakGlassAccountId: string }> {
    const { db, organizations } = this.#deps;
    if (!breakGlassEmail) {
      throw new AppError('orgs.break_glass_required', 400, { message: 'Name a break-glass owner (--break-glass EMAIL) before enforcing SSO' });
    }
    if (!(await this.#deps.hasEnabledConnection(organizationId))) {
      throw new AppError('orgs.sso_not_ready', 409, { message: 'Enable a tested connection (connections enable) before enforcing SSO' });
    }
    const accountId = await this.#deps.accountIdByEmail(breakGlassEmail);
    if (!accountId) throw breakGlassInvalid(breakGlassEmail);
    return db.transaction().execute(async (trx) => {
      if (!(await this.#deps.isOwner(trx, organizationId, accountId)) || !(await this.#deps.hasSecondFactor(accountId, trx))) {
        throw breakGlassInvalid(breakGlassEmail);
      }
      await organizations.setSsoEnforcement(trx, organizationId, { enforced: true, breakGlassAccountId: accountId });
      await alongside?.(trx, accountId);
      return { breakGlassAccountId: accountId };
    });
  }

  async relax(organizationId: string, alongside?: (trx: Db) => Promise<void>): Promise<void> {
    await this.#deps.db.transaction().execute(async (trx) => {
      await this.#deps.organizations.setSsoEnforcement(trx, organizationId, { enforced: false, breakGlassAccountId: null });
      await alongside?.(trx);
    });
  }
}
