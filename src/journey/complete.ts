import type { AccountRow } from '../db/schema.ts';
import { finishInteraction, type JourneyFlow, saveStep, seeOther } from './flow.ts';
import type { JourneyStep } from './state.ts';
import { interactionUrls } from './urls.ts';

/** How the person proved who they are in this sign-in. */
export interface SignInMethod {
  kind: 'password' | 'federated' | 'social_email';
  /** Authentication method references (RFC 8176) of every factor passed so far: `pwd`, `fed`... */
  amr: string[];
  /** "Remember me"; undefined (no choice offered) keeps oidc-provider's default, a persistent session. */
  remember: boolean | undefined;
  /** The upstream connection of a company or social sign-in. */
  connectionId?: string;
}

export interface SignInAttempt {
  account: Pick<AccountRow, 'id' | 'email'>;
  method: SignInMethod;
  /** The app being signed in to. */
  clientId: string;
}

/**
 * What the policy answers: nothing more is needed (with the acr the sign-in reached, when the
 * policy knows better than one factor per amr), or the step the person must pass first, saved in
 * the interaction; passing it calls completeSignIn again, with that factor added to the method.
 */
export type FactorDecision = { kind: 'complete'; acr?: string } | { kind: 'step'; step: JourneyStep };

/** Asked at the end of every sign-in, whatever the way in, what it still needs. */
export interface FactorPolicy {
  decide(attempt: SignInAttempt): Promise<FactorDecision>;
}

/** Until second factors exist: one factor is enough. */
export const noFurtherFactors: FactorPolicy = {
  decide: () => Promise.resolve({ kind: 'complete' }),
};

/** Authentication context reached by these factors when the policy names none: one factor or several. */
function assuranceOf(amr: string[]): string {
  return new Set(amr).size > 1 ? 'urn:signin:acr:mfa' : 'urn:signin:acr:1fa';
}

/**
 * Where every sign-in ends, password, company, social or a confirmed email alike: the factor
 * policy first (a step still to pass is saved and shown instead of finishing), then the pending
 * social link, now that the sign-in is complete (so a wrong password, or a second factor not
 * passed, links nothing), then the login handed to oidc-provider with its amr and acr.
 */
export async function completeSignIn(flow: JourneyFlow, account: SignInAttempt['account'], method: SignInMethod): Promise<void> {
  const decision = await flow.deps.factorPolicy.decide({ account, method, clientId: String(flow.details.params.client_id) });
  if (decision.kind === 'step') {
    await saveStep(flow, decision.step);
    seeOther(flow.ctx, interactionUrls.signIn(flow.ref));
    return;
  }
  const pending = flow.state.pendingLink;
  if (pending) await flow.deps.socialLinking.link(pending, account.id);
  const login = {
    accountId: account.id,
    amr: method.amr,
    acr: decision.acr ?? assuranceOf(method.amr),
    // remember: false makes oidc-provider's session cookie a browser-session cookie (no Expires).
    ...(method.remember === undefined ? {} : { remember: method.remember }),
  };
  // The journey's own state (steps, pending link) ends with the sign-in: only the login goes on.
  await finishInteraction(flow, { login }, { mergeWithLastSubmission: false });
}
