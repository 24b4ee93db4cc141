import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { FactorEnrolment } from '../../factors/factor-enrolment.ts';
import { BadRequestError } from '../../http/errors.ts';
import { completeSignIn } from '../complete.ts';
import type { SignInMethod } from '../factor-policy.ts';
import { expectStep, type JourneyFlow, type JourneyStepDefinition, parseForm, renderStep, saveStep } from '../flow.ts';
import type { JourneyStep } from '../state.ts';
import { interactionUrls } from '../urls.ts';
import { postedCeremony } from './passkey.step.ts';

type EnrolStep = Extract<JourneyStep, { step: 'enrol' }>;
type SigningIn = Extract<JourneyStep, { step: 'enrol' | 'enrolled' }>;

/** The sign-in's method so far, changed (a factor added, "Later" chosen). */
const methodOf = (at: SigningIn, change: Partial<SignInMethod> = {}): SignInMethod => ({ ...at.method, remember: at.method.remember, ...change });

const codeForm = z.object({ code: z.string().max(64).default('') });

export type SignInEnrolment = Pick<FactorEnrolment, 'beginTotp' | 'pendingTotp' | 'confirmTotp' | 'passkeyOptions' | 'addPasskey'>;

/**
 * Members of an organization that requires a second factor, without one, set it up before going
 * on to the app: an authenticator app or a passkey (only a passkey when the organization requires
 * phishing resistance). Within the grace period "Later" lets them go on once; after it, not.
 * The factor set up here is the sign-in's second factor (its code or ceremony was just checked).
 */
export function enrolStep(enrolment: SignInEnrolment): JourneyStepDefinition {
  async function showEnrol(flow: JourneyFlow, at: EnrolStep, errors: { totp?: string; passkey?: string } = {}, status = 200): Promise<void> {
    const totp = at.phishingResistant ? undefined : await enrolment.pendingTotp(at.accountId, at.email);
    renderStep(
      flow,
      'interaction/enrol',
      {
        phishingResistant: at.phishingResistant,
        deadline: at.deadline === undefined ? undefined : new Intl.DateTimeFormat(flow.locale, { dateStyle: 'long' }).format(at.deadline),
        totp: totp && { qrSvg: totp.qrSvg, secretText: totp.secretText },
        error: errors.totp,
        passkeyError: errors.passkey,
        links: {
          totp: interactionUrls.step(flow.ref, 'enrol-totp'),
          passkey: interactionUrls.step(flow.ref, 'enrol-passkey'),
          passkeyOptions: interactionUrls.step(flow.ref, 'enrol-passkey-options'),
          later: interactionUrls.step(flow.ref, 'enrol-later'),
        },
      },
      { status },
    );
  }

  /** A fresh authenticator-app secret as the sign-in is sent here (none for a passkey-only requirement). */
  async function enterEnrol(_flow: JourneyFlow, at: JourneyStep): Promise<void> {
    if (at.step === 'enrol' && !at.phishingResistant) await enrolment.beginTotp(at.accountId, at.email);
  }

  const showEnrolled = (flow: JourneyFlow, codes: string[] = []) =>
    renderStep(flow, 'interaction/enrolled', { codes, links: { action: interactionUrls.step(flow.ref, 'enrol-continue') } });

  async function confirmTotp(flow: JourneyFlow): Promise<void> {
    const at = expectStep(flow, 'enrol');
    if (at.phishingResistant) throw new BadRequestError('interaction.wrong_step');
    const code = parseForm(flow, codeForm).code.trim();
    const result = await enrolment.confirmTotp(at.accountId, code, flow.locale);
    if (!result.confirmed) return showEnrol(flow, at, { totp: 'factors.totp_code_wrong' }, 400);
    const { step: _enrol, phishingResistant: _required, deadline: _deadline, ...signingIn } = at;
    await saveStep(flow, { ...signingIn, step: 'enrolled', method: methodOf(at, { amr: [...at.method.amr, 'otp'] }) });
    // Shown once, in this answer: the codes are never stored in the interaction.
    showEnrolled(flow, result.recoveryCodes);
  }

  async function passkeyOptions(flow: JourneyFlow): Promise<void> {
    const at = expectStep(flow, 'enrol');
    flow.ctx.body = await enrolment.passkeyOptions(at.accountId, at.email);
  }

  async function addPasskey(flow: JourneyFlow): Promise<void> {
    const at = expectStep(flow, 'enrol');
    const { challengeId, response } = postedCeremony<RegistrationResponseJSON>(flow);
    const name = flow.ctx.get('user-agent').slice(0, 64) || 'Passkey';
    const amr = await enrolment.addPasskey(at.accountId, challengeId, response, name, flow.locale);
    if (!amr) return showEnrol(flow, at, { passkey: 'factors.notice.passkey_failed' }, 400);
    await completeSignIn(flow, { id: at.accountId, email: at.email }, methodOf(at, { amr: [...at.method.amr, ...amr] }));
  }

  async function continueSignIn(flow: JourneyFlow): Promise<void> {
    const at = expectStep(flow, 'enrolled');
    await completeSignIn(flow, { id: at.accountId, email: at.email }, methodOf(at));
  }

  /** "Later": the policy honours it only within the grace period, so past it the page comes back without the choice. */
  async function postpone(flow: JourneyFlow): Promise<void> {
    const at = expectStep(flow, 'enrol');
    if (at.deadline === undefined) throw new BadRequestError('interaction.wrong_step');
    await completeSignIn(flow, { id: at.accountId, email: at.email }, methodOf(at, { enrolmentPostponed: true }));
  }

  return {
    shows: ['enrol', 'enrolled'],
    enter: enterEnrol,
    show: (flow) => (flow.state.at?.step === 'enrolled' ? showEnrolled(flow) : showEnrol(flow, expectStep(flow, 'enrol'))),
    routes: [
      { method: 'post', path: '/enrol-totp', handler: confirmTotp },
      { method: 'post', path: '/enrol-passkey-options', handler: passkeyOptions },
      { method: 'post', path: '/enrol-passkey', handler: addPasskey },
      { method: 'post', path: '/enrol-later', handler: postpone },
      { method: 'post', path: '/enrol-continue', handler: continueSignIn },
    ],
  };
}
