import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { BadRequestError } from '../../http/errors.ts';
import { completeSignIn } from '../complete.ts';
import { expectPrompt, type JourneyFlow, type JourneyStepDefinition, parseForm } from '../flow.ts';
import { showIdentifier } from './identifier.step.ts';

const ceremonyForm = z.object({ challengeId: z.string().min(1).max(100), response: z.string().min(2).max(20_000) });

/** A WebAuthn response posted by passkey.js, as JSON in a form field; anything unreadable is a bad request. */
export function postedCeremony<Response = AuthenticationResponseJSON>(flow: JourneyFlow): { challengeId: string; response: Response } {
  const form = parseForm(flow, ceremonyForm);
  try {
    return { challengeId: form.challengeId, response: JSON.parse(form.response) as Response };
  } catch {
    throw new BadRequestError('http.bad_request');
  }
}

/** Options for "Sign in with a passkey" and autofill: no allowCredentials, so nothing tells which passkeys an email has. */
async function options(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  flow.ctx.body = await flow.deps.passkeys.authenticationOptions();
}

/**
 * A passkey as the way in: the assertion names the account (its user handle and credential). With
 * user verification it is two factors; without, the policy asks for another (complete.ts).
 */
async function signIn(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const { challengeId, response } = postedCeremony(flow);
  const assertion = await flow.deps.passkeys.authenticate(challengeId, response);
  const account = assertion && (await flow.deps.accounts.findById(assertion.accountId));
  if (!assertion || !account) return showIdentifier(flow, { error: 'error.factors.passkey_not_recognised' }, 400);
  // Under SSO enforced for the account's organization, a passkey does not stand in for the company sign-in.
  if (await flow.deps.ssoEnforcement.forAccount(account.id)) return showIdentifier(flow, { error: 'error.session.sso_required' }, 400);
  await completeSignIn(flow, account, { kind: 'passkey', amr: assertion.amr, remember: undefined });
}

export const passkeyStep: JourneyStepDefinition = {
  routes: [
    { method: 'post', path: '/passkey-options', handler: options },
    { method: 'post', path: '/passkey', handler: signIn },
  ],
};
