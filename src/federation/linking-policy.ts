import type { AccountRow } from '../db/schema.ts';
import type { ConnectionKind, ConnectionRecord, UpstreamProfile } from './upstream-connection.ts';

/**
 * An upstream identity (connection, subject) the person must confirm by signing in to one of our
 * accounts before it is linked: kept in the interaction until they have.
 */
export interface PendingLink {
  connectionId: string;
  subject: string;
  /** The address the upstream gave (shown, never trusted unless verified). */
  email: string | undefined;
  /** Why we ask: the verified email is already an account's, or the upstream did not verify it. */
  reason: 'email_in_use' | 'email_unverified';
  /** The "remember me" choice made before leaving for the provider, applied when the sign-in ends by a confirmed email. */
  remember?: boolean | undefined;
  /** The address the person chose to confirm by an emailed link instead, and that link's token (as a digest). */
  confirmation?: EmailConfirmation | undefined;
}

export interface EmailConfirmation {
  email: string;
  tokenDigest: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type LinkOutcome = { kind: 'account'; account: AccountRow } | { kind: 'link_required'; link: PendingLink };

/**
 * How the identities of one kind of connection map to accounts. Company IdPs and social providers
 * follow different rules (see account-linking.ts and social/social-linking.ts); federation.service
 * picks the policy by the connection's kind.
 */
export interface LinkingPolicy {
  accountFor(profile: UpstreamProfile, connection: ConnectionRecord): Promise<LinkOutcome>;
}

export type LinkingPolicies = Readonly<Record<ConnectionKind, LinkingPolicy>>;
