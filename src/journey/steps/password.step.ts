import { z } from 'zod';
import { TooManyAttemptsError } from '../../abuse/attempt-limiter.ts';
import { normalizeEmail } from '../../accounts/email.ts';
import type { EnforcedSso } from '../../hrd/sso-enforcement.ts';
import { BadRequestError } from '../../http/errors.ts';
import { requestOrigin } from '../../http/request-context.ts';
import { completeSignIn } from '../complete.ts';
import { expectStep, type JourneyFlow, type JourneyStepDefinition, parseForm, renderStep } from '../flow.ts';
import type { JourneyStep } from '../state.ts';
import { interactionUrls } from '../urls.ts';
import { socialSignInView } from './social.step.ts';

type PasswordStep = Extract<JourneyStep, { step: 'password' }>;

const passwordForm = z.object({
  username: z.string().max(1024),
  password: z.string().max(1024).default(''),
  remember: z.literal('on').optional(),
});

interface PasswordView {
  /** Message key of the error shown with the password field. */
  error?: string;
  errorParams?: Record<string, string | number>;
  remember?: boolean;
  /** Under enforced SSO: the company sign-in to use instead. */
  companySignIn?: string;
}

function showPassword(flow: JourneyFlow, at: PasswordStep, view: PasswordView = {}, status = 200): void {
  renderStep(
    flow,
    'interaction/password',
    {
      email: at.email,
      error: view.error,
      errorParams: view.errorParams ?? {},
      remember: view.remember ?? false,
      social: socialSignInView(flow),
      links: {
        companySignIn: view.companySignIn,
        action: interactionUrls.step(flow.ref, 'password'),
        notYou: interactionUrls.step(flow.ref, 'identifier'),
        forgotPassword: `/forgot-password?${new URLSearchParams({ interaction: flow.ref.uid, email: at.email })}`,
      },
    },
    { status },
  );
}

/**
 * Checks the password of the email saved in the interaction. Unknown email and wrong password get
 * the same answer (and, in account.service, the same bcrypt cost). Too many failed attempts keep
 * the person on this page (429, Retry-After) with the wait tied to the password field: the sign-in
 * goes on once the wait is over.
 */
async function submitPassword(flow: JourneyFlow): Promise<void> {
  const at = expectStep(flow, 'password');
  const form = parseForm(flow, passwordForm);
  // A stale page (another tab moved this sign-in on to another email) must not check its password against that email.
  if (normalizeEmail(form.username) !== at.email) throw new BadRequestError('interaction.wrong_step');
  const remember = form.remember === 'on';
  if (!form.password) {
    showPassword(flow, at, { error: 'password.required', remember }, 400);
    return;
  }
  const { loginLimiter, accountService, ssoEnforcement } = flow.deps;
  const refuseForCompanySignIn = (enforced: EnforcedSso) => {
    const companySignIn = interactionUrls.federated(flow.ref, enforced.connectionId);
    showPassword(flow, at, { error: 'error.session.sso_required', remember, companySignIn }, 400);
  };
  // Under SSO enforced for the email's domain the password is not even checked.
  const enforcedForDomain = await ssoEnforcement.forEmailDomain(at.email);
  if (enforcedForDomain) return refuseForCompanySignIn(enforcedForDomain);
  let account: Awaited<ReturnType<typeof accountService.authenticateWithPassword>>;
  try {
    account = await loginLimiter.attempt(at.email, flow.ctx.ip, () => accountService.authenticateWithPassword(at.email, form.password));
  } catch (error) {
    if (!(error instanceof TooManyAttemptsError)) throw error;
    flow.deps.signInMetrics.record('password', 'failure');
    flow.ctx.set(error.headers);
    showPassword(flow, at, { error: `error.${error.code}`, errorParams: error.params, remember }, error.status);
    return;
  }
  if (!account) {
    flow.deps.signInMetrics.record('password', 'failure');
    await flow.deps.signInAudit.failed(at.email, 'password', requestOrigin(flow.ctx));
    showPassword(flow, at, { error: 'error.session.invalid_credentials', remember }, 400);
    return;
  }
  // Membership is private: only someone who knew the password learns that it no longer signs in.
  const enforcedForMember = await ssoEnforcement.forAccount(account.id);
  if (enforcedForMember) return refuseForCompanySignIn(enforcedForMember);
  // After a first factor (a passkey without user verification), the password must be that account's.
  if (at.after && at.after.accountId !== account.id) throw new BadRequestError('interaction.wrong_step');
  const method = at.after ? { ...at.after.method, amr: [...at.after.method.amr, 'pwd'], remember } : { kind: 'password' as const, amr: ['pwd'], remember };
  await completeSignIn(flow, account, method);
}

export const passwordStep: JourneyStepDefinition = {
  shows: ['password'],
  show: (flow) => showPassword(flow, expectStep(flow, 'password')),
  routes: [{ method: 'post', path: '/password', handler: submitPassword }],
};
