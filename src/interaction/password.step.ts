import { z } from 'zod';
import { TooManyAttemptsError } from '../abuse/attempt-limiter.ts';
import { normalizeEmail } from '../accounts/email.ts';
import type { EnforcedSso } from '../hrd/sso-enforcement.ts';
import { BadRequestError } from '../http/errors.ts';
import { expectStep, finishInteraction, type InteractionFlow, parseForm, renderStep, stepUrl } from './interaction-flow.ts';
import { linkPendingIdentity } from './pending-link.ts';
import type { SignInState } from './sign-in-state.ts';
import { socialSignInView } from './social-sign-in.view.ts';

type PasswordState = Extract<SignInState, { step: 'password' }>;

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

export function showPassword(flow: InteractionFlow, state: PasswordState, view: PasswordView = {}, status = 200): void {
  const { uid } = flow.details;
  renderStep(
    flow,
    'interaction/password',
    {
      email: state.email,
      error: view.error,
      errorParams: view.errorParams ?? {},
      remember: view.remember ?? false,
      social: socialSignInView(flow.ctx, flow.services, flow.details),
      links: {
        companySignIn: view.companySignIn,
        action: stepUrl(flow, 'password'),
        notYou: stepUrl(flow, 'identifier'),
        forgotPassword: `/forgot-password?${new URLSearchParams({ interaction: uid, email: state.email })}`,
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
export async function submitPassword(flow: InteractionFlow): Promise<void> {
  const state = expectStep(flow, 'password');
  const form = parseForm(flow, passwordForm);
  // A stale page (another tab moved this sign-in on to another email) must not check its password against that email.
  if (normalizeEmail(form.username) !== state.email) throw new BadRequestError('interaction.wrong_step');
  const remember = form.remember === 'on';
  if (!form.password) {
    showPassword(flow, state, { error: 'password.required', remember }, 400);
    return;
  }
  const { loginLimiter, accountService, ssoEnforcement } = flow.services;
  const refuseForCompanySignIn = (enforced: EnforcedSso) => {
    const companySignIn = `/interaction/${encodeURIComponent(flow.details.uid)}/federated/${encodeURIComponent(enforced.connectionId)}`;
    showPassword(flow, state, { error: 'error.session.sso_required', remember, companySignIn }, 400);
  };
  // Under SSO enforced for the email's domain the password is not even checked.
  const enforcedForDomain = await ssoEnforcement.forEmailDomain(state.email);
  if (enforcedForDomain) return refuseForCompanySignIn(enforcedForDomain);
  let account: Awaited<ReturnType<typeof accountService.authenticateWithPassword>>;
  try {
    account = await loginLimiter.attempt(state.email, flow.ctx.ip, () => accountService.authenticateWithPassword(state.email, form.password));
  } catch (error) {
    if (!(error instanceof TooManyAttemptsError)) throw error;
    flow.ctx.set(error.headers);
    showPassword(flow, state, { error: `error.${error.code}`, errorParams: error.params, remember }, error.status);
    return;
  }
  if (!account) {
    showPassword(flow, state, { error: 'error.session.invalid_credentials', remember }, 400);
    return;
  }
  // Membership is private: only someone who knew the password learns that it no longer signs in.
  const enforcedForMember = await ssoEnforcement.forAccount(account.id);
  if (enforcedForMember) return refuseForCompanySignIn(enforcedForMember);
  await linkPendingIdentity(flow.services, flow.details, account.id);
  // remember: false makes oidc-provider's session cookie a browser-session cookie (no Expires).
  await finishInteraction(flow, { login: { accountId: account.id, amr: ['pwd'], remember } }, { mergeWithLastSubmission: true });
}
