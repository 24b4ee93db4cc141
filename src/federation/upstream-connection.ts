import type { FederationState } from './federation-state.ts';

/** What every upstream (enterprise SAML or OIDC, social provider) tells us about the person who signed in. */
export interface UpstreamProfile {
  connectionId: string;
  /** Stable id of the person at the upstream (OIDC `sub`, SAML NameID): identities are keyed by it. */
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  givenName: string | undefined;
  familyName: string | undefined;
  name: string | undefined;
  /** What the upstream says it did to sign the person in (OIDC amr/acr claims), counted only where the connection trusts them. */
  authentication?: UpstreamAuthentication | undefined;
  /** What the upstream sent, unmapped (SAML NameID and attributes, OIDC claims): shown by a connection's test sign-in. */
  received?: Record<string, unknown>;
}

export interface UpstreamAuthentication {
  amr: string[];
  acr: string | undefined;
}

/**
 * Who set a connection up, which decides how its identities link to accounts (see linking-policy.ts):
 * an organization's company IdP (stored, from the CLI or admin center) or a social provider (from
 * the configuration).
 */
export type ConnectionKind = 'enterprise' | 'social';

/** A connection as stored (or configured): settings are validated by the connection type's factory. */
export interface ConnectionRecord {
  id: string;
  kind: ConnectionKind;
  organizationId: string | null;
  type: string;
  name: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  enabled: boolean;
}

export interface BeginInput {
  /** The interaction (or account-page link flow) the upstream's answer must come back to. */
  uid: string;
  /** The app the interaction signs in to: the way back to it, should the interaction be gone on return. */
  appClientId?: unknown;
  /** Where the answer goes back to: the interaction's resume URL (default), the account page, or a connection's test result. */
  returnTo?: FederationState['returnTo'];
  loginHint: string | undefined;
  /** The "remember me" choice made before leaving (none offered: undefined); it travels in the sealed state and applies on return. */
  remember?: boolean;
}

/** How to send the browser upstream: a plain redirect, or a form it posts (SAML HTTP-POST binding). */
export type BeginResult = { kind: 'redirect'; url: string } | { kind: 'post'; url: string; fields: Record<string, string> };

/** The parameters an upstream sent to our callback (query or form), as strings. */
export type CallbackParams = Record<string, string>;

/**
 * The one interface behind which every upstream sits. Connections are built per use from their
 * record, so they hold no request state: the state travels (sealed) through the upstream.
 */
export interface UpstreamConnection {
  readonly record: ConnectionRecord;
  begin(input: BeginInput): Promise<BeginResult>;
  /** Opens the state the callback carries (or points to): which interaction it belongs to, and how it started. */
  stateOf(params: CallbackParams): Promise<FederationState>;
  /** Validates the upstream's answer (signatures, state, nonce, audience...) and maps it to a profile. */
  complete(params: CallbackParams): Promise<UpstreamProfile>;
}

export type ConnectionFactory = (record: ConnectionRecord) => UpstreamConnection;
