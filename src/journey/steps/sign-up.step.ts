import type Provider from 'oidc-provider';
import { BadRequestError } from '../../http/errors.ts';
import { completeSignIn } from '../complete.ts';
import { expectStep, type JourneyFlow, type JourneyStepDefinition, saveStep, seeOther } from '../flow.ts';
import { journeyResultKey, journeyStateOf } from '../state.ts';
import { signUpPageUrl } from '../urls.ts';

/** prompt=create: the sign-in starts on the sign-up page (a way back to the email page stays open). */
export async function startSignUp(flow: JourneyFlow): Promise<void> {
  await saveStep(flow, { step: 'sign_up' });
  seeOther(flow.ctx, signUpPageUrl(flow.ref));
}

/**
 * Called by the sign-up pages once a new account's email is confirmed through a link mailed from
 * this sign-in: if the sign-in was sent to the sign-up page (prompt=create), its next visit signs
 * the new account in. Only the browser holding the interaction's cookie can make that visit.
 */
export async function resumeAfterSignUp(provider: Provider, uid: string, accountId: string): Promise<boolean> {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) return false;
  const state = journeyStateOf(interaction.result);
  if (state.at?.step !== 'sign_up') return false;
  interaction.result = { ...interaction.result, [journeyResultKey]: { ...state, at: { step: 'signed_up', accountId } } };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return true;
}

/** Back from the confirmed sign-up: the new account signs in, with the password it just chose. */
async function signInNewAccount(flow: JourneyFlow): Promise<void> {
  const { accountId } = expectStep(flow, 'signed_up');
  const account = await flow.deps.accounts.findById(accountId);
  if (!account?.email_verified) throw new BadRequestError('interaction.wrong_step');
  await completeSignIn(flow, account, { kind: 'sign_up', amr: ['pwd'], remember: undefined });
}

export const signUpStep: JourneyStepDefinition = {
  routes: [],
  shows: ['signed_up'],
  show: signInNewAccount,
};
