import type { AccountRepository } from '../../accounts/account.repository.ts';
import { normalizeEmail } from '../../accounts/email.ts';
import type { Db } from '../../db/database.ts';
import type { AccountRow } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/transaction.ts';
import type { FederatedIdentityRepository } from '../federated-identity.repository.ts';
import { FederationError } from '../federation-error.ts';
import type { LinkingPolicy, LinkOutcome, PendingLink } from '../linking-policy.ts';
import { insertAccountFromProfile } from '../upstream-account.ts';
import type { ConnectionRecord, UpstreamProfile } from '../upstream-connection.ts';

/** An identity to attach to an account the person has just proved is theirs. */
export type IdentityToLink = Pick<PendingLink, 'connectionId' | 'subject' | 'email'>;

/**
 * The linking policy of social providers. Anyone can open a social account with any address, so
 * an email never links by itself: a known identity signs in; a new one with a verified address no
 * account uses creates an account; a new one whose address an account already uses, or whose
 * address the provider did not verify, is linked only after the person signs in to an account.
 * Social sign-in never gets around an organization's enforced company sign-in.
 */
/** Whether an account must sign in at its company IdP (hrd/sso-enforcement.ts answers it). */
export interface SsoRequirement {
  requiredFor(email: string, accountId?: string): Promise<unknown>;
}

export class SocialAccountLinking implements LinkingPolicy {
  readonly #db: Db;
  readonly #accounts: AccountRepository;
  readonly #identities: FederatedIdentityRepository;
  readonly #ssoEnforcement: SsoRequirement;

  constructor(deps: { db: Db; accounts: AccountRepository; identities: FederatedIdentityRepository; ssoEnforcement: SsoRequirement }) {
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#identities = deps.identities;
    this.#ssoEnforcement = deps.ssoEnforcement;
  }

  async accountFor(profile: UpstreamProfile, connection: ConnectionRecord): Promise<LinkOutcome> {
    let outcome: LinkOutcome;
    try {
      outcome = await this.#db.transaction().execute((trx) => this.#resolve(trx, profile, connection));
    } catch (error) {
      // Two first sign-ins of the same person raced: the other one created the account, so use it.
      if (!isUniqueViolation(error)) throw error;
      outcome = await this.#db.transaction().execute((trx) => this.#resolve(trx, profile, connection));
    }
    if (outcome.kind === 'account') await this.#refuseUnderEnforcedSso(outcome.account);
    return outcome;
  }

  async #resolve(trx: Db, profile: UpstreamProfile, connection: ConnectionRecord): Promise<LinkOutcome> {
    const identity = await this.#identities.find(connection.id, profile.subject, trx);
    if (identity) {
      const account = await this.#accounts.findById(identity.account_id, trx);
      if (!account) throw new FederationError('federation.account_missing');
      await this.#identities.touch(trx, connection.id, profile.subject, profile.email);
      return { kind: 'account', account };
    }
    const pending = (reason: PendingLink['reason']): LinkOutcome => ({
      kind: 'link_required',
      link: { connectionId: connection.id, subject: profile.subject, email: profile.email && normalizeEmail(profile.email), reason },
    });
    if (!profile.email || !profile.emailVerified) return pending('email_unverified');
    if (await this.#accounts.findByEmail(profile.email, trx)) return pending('email_in_use');

    await this.#refuseUnderEnforcedSso({ email: profile.email });
    const account = await insertAccountFromProfile(this.#accounts, trx, { ...profile, email: profile.email }, true);
    await this.#identities.insert(trx, { connectionId: connection.id, subject: profile.subject, accountId: account.id, email: profile.email });
    return { kind: 'account', account };
  }

  /**
   * Links an identity to an account the person has just signed in to (or is signed in to, on the
   * account page). An identity already linked elsewhere, or a second identity of the same
   * provider on one account, is refused.
   */
  async link(identity: IdentityToLink, accountId: string): Promise<void> {
    await this.#db.transaction().execute((trx) => this.#linkIn(trx, identity, accountId));
  }

  /**
   * The person proved the mailbox of `email` by an emailed link, in the browser where they signed in
   * at the provider: the identity links to the account of that address (its owner could reset its
   * password anyway), or to a new account with that address, now verified. One transaction: a
   * refused link leaves no account created or verified behind; of two confirmations racing, the
   * one that loses the unique index gets a page saying so.
   */
  async linkConfirmedEmail(identity: IdentityToLink, email: string): Promise<AccountRow> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        let account = await this.#accounts.findByEmail(email, trx);
        if (!account) {
          await this.#refuseUnderEnforcedSso({ email });
          account = await this.#accounts.insert(trx, {
            email,
            email_verified: true,
            name: null,
            given_name: null,
            family_name: null,
            locale: null,
            password_hash: null,
            password_changed_at: null,
          });
        }
        await this.#refuseUnderEnforcedSso(account);
        if (!account.email_verified) await this.#accounts.update(trx, account.id, { email_verified: true });
        await this.#linkIn(trx, identity, account.id);
        return { ...account, email_verified: true };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new FederationError('federation.link_raced', { status: 409, cause: error });
      throw error;
    }
  }

  async #linkIn(trx: Db, identity: IdentityToLink, accountId: string): Promise<void> {
    const existing = await this.#identities.find(identity.connectionId, identity.subject, trx);
    if (existing) {
      if (existing.account_id === accountId) return;
      throw new FederationError('federation.identity_linked_elsewhere', { status: 409 });
    }
    if (await this.#identities.accountHasIdentityOn(accountId, identity.connectionId, trx)) {
      throw new FederationError('federation.provider_already_linked', { status: 409 });
    }
    await this.#identities.insert(trx, { connectionId: identity.connectionId, subject: identity.subject, accountId, email: identity.email });
  }

  async #refuseUnderEnforcedSso(account: Pick<AccountRow, 'email'> & { id?: string }): Promise<void> {
    if (await this.#ssoEnforcement.requiredFor(account.email, account.id)) throw new FederationError('session.sso_required', { status: 403 });
  }
}
