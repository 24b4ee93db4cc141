import type { AccountRow } from '../db/schema.ts';
import type { JourneyStep } from './state.ts';

/** How the person proved who they are in this sign-in. */
export interface SignInMethod {
  kind: 'password' | 'passkey' | 'federated' | 'social_email' | 'sign_up';
  /** Authentication method references (RFC 8176) of every factor passed so far: `pwd`, `fed`... */
  amr: string[];
  /** "Remember me"; undefined (no choice offered) keeps oidc-provider's default, a persistent session. */
  remember: boolean | undefined;
  /** The upstream connection of a company or social sign-in. */
  connectionId?: string;
  /** What that upstream says it did (amr/acr), a second factor only where the connection trusts those values. */
  upstream?: { amr: string[]; acr?: string | undefined };
  /** "Later" chosen on the enrolment page: honoured by the policy while the organization's grace period lasts. */
  enrolmentPostponed?: boolean;
}

export interface SignInAttempt {
  account: Pick<AccountRow, 'id' | 'email'>;
  method: SignInMethod;
  /** The app being signed in to. */
  clientId: string;
  /** The app's acr_values, as requested. */
  acrValues: string | undefined;
  /** This browser's device cookie (device-cookie.ts), if it has one. */
  deviceToken: string | undefined;
}

/**
 * What the policy answers: nothing more is needed (with the acr and amr the sign-in reached, when
 * the policy knows better than one factor per amr), or the step the person must pass first, saved
 * in the interaction; passing it calls completeSignIn again, with that factor added to the method.
 * `unmet`: the app asked for a level this account cannot reach (unmet_authentication_requirements).
 */
export type FactorDecision = { kind: 'complete'; acr?: string; amr?: string[] } | { kind: 'step'; step: JourneyStep } | { kind: 'unmet' };

/** Asked at the end of every sign-in, whatever the way in, what it still needs. */
export interface FactorPolicy {
  decide(attempt: SignInAttempt): Promise<FactorDecision>;
}

/** Until second factors exist: one factor is enough. */
export const noFurtherFactors: FactorPolicy = {
  decide: () => Promise.resolve({ kind: 'complete' }),
};
