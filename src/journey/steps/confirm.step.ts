import { z } from 'zod';
import { TooManyAttemptsError } from '../../abuse/attempt-limiter.ts';
import type { FactorProof } from '../../factors/factor-confirmation.ts';
import { BadRequestError } from '../../http/errors.ts';
import { completeSignIn } from '../complete.ts';
import { ensureDeviceToken } from '../device-cookie.ts';
import { expectPrompt, type JourneyFlow, type JourneyStepDefinition, parseForm, renderStep, seeOther } from '../flow.ts';
import type { JourneyStep } from '../state.ts';
import { interactionUrls } from '../urls.ts';
import { postedCeremony } from './passkey.step.ts';

type ConfirmStep = Extract<JourneyStep, { step: 'confirm' | 'device_code' }>;
/** The ways this page confirms: a code typed, or a passkey of the account (passkey.js). */
type ConfirmMethod = 'totp' | 'recovery_code' | 'device_code' | 'passkey';

const confirmForm = z.object({
  method: z.enum(['totp', 'recovery_code', 'device_code', 'passkey']),
  code: z.string().max(64).default(''),
  trust: z.literal('on').optional(),
});

function confirmStepOf(flow: JourneyFlow): ConfirmStep {
  expectPrompt(flow, 'login');
  const at = flow.state.at;
  if (at?.step !== 'confirm' && at?.step !== 'device_code') throw new BadRequestError('interaction.wrong_step');
  return at;
}

function methodsOf(at: ConfirmStep): ConfirmMethod[] {
  return at.step === 'device_code' ? ['device_code'] : at.methods;
}

interface ConfirmView {
  method?: ConfirmMethod;
  error?: string;
  errorParams?: Record<string, string | number>;
  trust?: boolean;
}

function showConfirm(flow: JourneyFlow, at: ConfirmStep, view: ConfirmView = {}, status = 200): void {
  const methods = methodsOf(at);
  const asked = view.method ?? flow.ctx.query.method;
  const method = methods.find((candidate) => candidate === asked) ?? methods[0];
  renderStep(
    flow,
    'interaction/confirm',
    {
      email: at.email,
      method,
      error: view.error,
      errorParams: view.errorParams ?? {},
      trust: view.trust ?? false,
      otherMethods: methods.filter((other) => other !== method).map((other) => ({ method: other, href: interactionUrls.signIn(flow.ref, { method: other }) })),
      links: {
        action: interactionUrls.step(flow.ref, 'confirm'),
        resend: interactionUrls.step(flow.ref, 'confirm-resend'),
        passkeyOptions: interactionUrls.step(flow.ref, 'confirm-passkey-options'),
      },
    },
    { status },
  );
}

function proofOf(flow: JourneyFlow, method: ConfirmMethod, code: string): FactorProof {
  if (method === 'passkey') return { kind: 'passkey', ...postedCeremony(flow) };
  if (method === 'device_code') return { kind: 'device_code', code, deviceToken: ensureDeviceToken(flow.ctx) };
  return { kind: method, code };
}

/**
 * "Confirm it's you": one of the account's factors, or the code mailed to a new browser. Wrong
 * codes count per account (across every flow) and per IP; too many give a wait with Retry-After on
 * this page, never a lockout. Passing it goes back through completeSignIn with the factor added.
 */
async function submitConfirm(flow: JourneyFlow): Promise<void> {
  const at = confirmStepOf(flow);
  const form = parseForm(flow, confirmForm);
  if (!methodsOf(at).includes(form.method)) throw new BadRequestError('interaction.wrong_step');
  const view = { method: form.method, trust: form.trust === 'on' };
  const code = form.code.trim();
  if (!code && form.method !== 'passkey') return showConfirm(flow, at, { ...view, error: 'confirm.code_required' }, 400);
  let added: string[] | undefined;
  try {
    added = await flow.deps.factorConfirmation.confirm(at.accountId, flow.ctx.ip, proofOf(flow, form.method, code));
  } catch (error) {
    if (!(error instanceof TooManyAttemptsError)) throw error;
    flow.ctx.set(error.headers);
    return showConfirm(flow, at, { ...view, error: `error.${error.code}`, errorParams: error.params }, error.status);
  }
  if (!added) return showConfirm(flow, at, { ...view, error: `confirm.wrong_${form.method}` }, 400);
  // The device code proved the mailbox from this browser: recorded first, the policy then knows the device.
  if (form.method === 'device_code')
    await flow.deps.devices.remember(at.accountId, ensureDeviceToken(flow.ctx), flow.ctx.get('user-agent'), view.trust, flow.locale);
  const method = { ...at.method, remember: at.method.remember, amr: [...at.method.amr, ...added] };
  await completeSignIn(flow, { id: at.accountId, email: at.email }, method, { trustDevice: view.trust });
}

/** A passkey ceremony limited to this account's own passkeys: another account's passkey cannot confirm it. */
async function passkeyOptions(flow: JourneyFlow): Promise<void> {
  const at = confirmStepOf(flow);
  if (at.step !== 'confirm' || !at.methods.includes('passkey')) throw new BadRequestError('interaction.wrong_step');
  flow.ctx.body = await flow.deps.passkeys.authenticationOptions(at.accountId);
}

/** A new mailed code (the previous one stops working). */
async function resendCode(flow: JourneyFlow): Promise<void> {
  const at = confirmStepOf(flow);
  if (at.step !== 'device_code') throw new BadRequestError('interaction.wrong_step');
  await flow.deps.devices.sendCode(at.accountId, ensureDeviceToken(flow.ctx), flow.locale);
  seeOther(flow.ctx, interactionUrls.signIn(flow.ref));
}

/** A browser the account never used gets its code as the sign-in is sent here. */
async function enterConfirm(flow: JourneyFlow, at: JourneyStep): Promise<void> {
  if (at.step === 'device_code') await flow.deps.devices.sendCode(at.accountId, ensureDeviceToken(flow.ctx), flow.locale);
}

/** "Confirm it's you": mounted by the account factor policy that sends sign-ins to it (account-factor-policy.ts). */
export const confirmStep: JourneyStepDefinition = {
  shows: ['confirm', 'device_code'],
  enter: enterConfirm,
  show: (flow) => showConfirm(flow, confirmStepOf(flow)),
  routes: [
    { method: 'post', path: '/confirm', handler: submitConfirm },
    { method: 'post', path: '/confirm-resend', handler: resendCode },
    { method: 'post', path: '/confirm-passkey-options', handler: passkeyOptions },
  ],
};
