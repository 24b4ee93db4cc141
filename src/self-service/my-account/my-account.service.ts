import type { AttemptLimiter } from '../../abuse/attempt-limiter.ts';
import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { AccountService } from '../../accounts/account.service.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';
import { assertPasswordAllowed } from '../../accounts/password-policy.ts';
import type { AllowedApp, ConsentRepository } from '../../consents/consent.repository.ts';
import type { Db } from '../../db/database.ts';
import type { AccountRow } from '../../db/schema.ts';
import type { ConnectionRepository } from '../../federation/connection.repository.ts';
import type { FederatedIdentityRepository } from '../../federation/federated-identity.repository.ts';
import type { EnabledSocialProvider, SocialSignIn } from '../../federation/social/social-sign-in.ts';
import { AppError } from '../../http/errors.ts';
import type { AccountSessionsRepository } from '../../oidc/account-sessions.repository.ts';
import type { SignOutService } from '../../oidc/logout/sign-out.service.ts';

/** The password typed to confirm a change is not the account's: the form says so next to the field. */
export class CurrentPasswordWrongError extends AppError {
  constructor() {
    super('account.current_password_wrong', 400);
  }
}

/** Unlinking would leave the account without a way to sign in. */
export class LastSignInMethodError extends AppError {
  constructor() {
    super('account.last_sign_in_method', 409);
  }
}

/** One way the account signs in besides its password: an identity at a social provider or a company IdP. */
export interface LinkedSignIn {
  connectionId: string;
  kind: 'social' | 'enterprise';
  name: string;
  email: string | null;
  linkedAt: Date;
  /** Social identities can be unlinked, unless they are the last way in; company ones belong to the organization. */
  canUnlink: boolean;
}

export interface AccountOverview {
  account: AccountRow;
  hasPassword: boolean;
  linked: LinkedSignIn[];
  /** Enabled social providers the account has no identity at yet. */
  linkable: EnabledSocialProvider[];
  /** Third-party apps the account has allowed, until access is removed. */
  allowedApps: AllowedApp[];
}

export interface MyAccountDependencies {
  db: Db;
  accounts: AccountRepository;
  accountService: AccountService;
  hasher: PasswordHasher;
  identities: FederatedIdentityRepository;
  connections: ConnectionRepository;
  sessions: AccountSessionsRepository;
  signOut: Pick<SignOutService, 'signOutEverywhere'>;
  socialSignIn: SocialSignIn;
  loginLimiter: AttemptLimiter;
  consents: ConsentRepository;
}

/** What "My account" shows and changes: profile, ways to sign in (never removing the last), password. */
export class MyAccountService {
  readonly #deps: MyAccountDependencies;

  constructor(deps: MyAccountDependencies) {
    this.#deps = deps;
  }

  async overview(accountId: string): Promise<AccountOverview | undefined> {
    const { accounts, identities, connections, socialSignIn, consents } = this.#deps;
    const account = await accounts.findById(accountId);
    if (!account) return undefined;
    const rows = await identities.listOfAccount(account.id);
    const hasPassword = account.password_hash !== null;
    const labels = await connections.listLabels(rows.map((row) => row.connection_id));
    const linked = rows.map((row): LinkedSignIn => {
      const connection = labels.find((label) => label.id === row.connection_id);
      const kind = connection?.kind ?? 'enterprise';
      return {
        connectionId: row.connection_id,
        kind,
        name: socialSignIn.byConnectionId(row.connection_id)?.displayName ?? connection?.name ?? row.connection_id,
        email: row.email,
        linkedAt: row.created_at,
        canUnlink: kind === 'social' && rows.length + (hasPassword ? 1 : 0) > 1,
      };
    });
    const linkable = socialSignIn.providers.filter((provider) => !rows.some((row) => row.connection_id === provider.connectionId));
    return { account, hasPassword, linked, linkable, allowedApps: await consents.listThirdPartyOfAccount(account.id) };
  }

  /** Forgets what the account allowed the app and revokes its tokens: the app must ask consent again. */
  async removeAppAccess(accountId: string, clientId: string): Promise<void> {
    const { db, consents, sessions } = this.#deps;
    await db.transaction().execute(async (trx) => {
      await consents.delete(trx, accountId, clientId);
      await sessions.revokeClient(trx, accountId, clientId);
    });
  }

  /** Unlinks a social identity; refused when it is the account's last way to sign in. */
  async unlink(accountId: string, connectionId: string): Promise<void> {
    const { db, accounts, identities, connections } = this.#deps;
    const [connection] = await connections.listLabels([connectionId]);
    if (connection?.kind !== 'social') throw new AppError('account.cannot_unlink', 400);
    await db.transaction().execute(async (trx) => {
      const rows = await identities.lockAllOfAccount(trx, accountId);
      if (!rows.some((row) => row.connection_id === connectionId)) return;
      const account = await accounts.findById(accountId, trx);
      const ways = rows.length + (account?.password_hash ? 1 : 0);
      if (ways <= 1) throw new LastSignInMethodError();
      await identities.delete(trx, connectionId, accountId);
    });
  }

  /** "Sign out everywhere": every session (this browser's too), grant and token of the account ends, and its apps are told. */
  async signOutEverywhere(accountId: string): Promise<void> {
    const { db, signOut } = this.#deps;
    await db.transaction().execute((trx) => signOut.signOutEverywhere(trx, accountId, 'user_request'));
  }

  /**
   * Checks the current password (a counted attempt, like a sign-in), then sets the new one. As a
   * password reset does, it signs the account out everywhere (its apps are told): whoever knew the
   * old password loses their sessions and tokens; the person signs in again with the new one.
   */
  async changePassword(account: AccountRow, ip: string, current: string, next: string): Promise<void> {
    const { db, accounts, accountService, hasher, signOut, loginLimiter } = this.#deps;
    if (!account.password_hash) throw new AppError('account.no_password', 400);
    const checked = await loginLimiter.attempt(account.email, ip, () => accountService.authenticateWithPassword(account.email, current));
    if (checked?.id !== account.id) throw new CurrentPasswordWrongError();
    assertPasswordAllowed(next, account);
    const passwordHash = await hasher.hash(next);
    await db.transaction().execute(async (trx) => {
      await accounts.update(trx, account.id, { password_hash: passwordHash, password_changed_at: new Date() });
      await signOut.signOutEverywhere(trx, account.id, 'password_change');
    });
  }
}
