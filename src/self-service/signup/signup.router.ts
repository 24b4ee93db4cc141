import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { AttemptLimiter } from '../../abuse/attempt-limiter.ts';
import { emailSchema } from '../../accounts/email.ts';
import { findPasswordProblem } from '../../accounts/password-policy.ts';
import { formProtection, parseForm } from '../../http/forms.ts';
import { resumeAfterSignUp } from '../../journey/steps/sign-up.step.ts';
import { parseLinkToken, withInteraction, withValidLink } from '../link-page.ts';
import { renderAccountPage, signInReturn } from '../sign-in-return.ts';
import type { SignUpService } from './signup.service.ts';

const signUpForm = z.object({
  name: z.string().max(200),
  email: z.string().max(320),
  password: z.string().max(1024),
});
const linkForm = z.object({ token: z.string().max(200) });

type FieldErrors = Partial<Record<'name' | 'email' | 'password', string>>;

/** Self-service sign-up: /signup, then the emailed confirmation link /signup/verify. */
export interface SignUpRouterDependencies {
  signUp: SignUpService;
  signUpLimiter: AttemptLimiter;
}

export function signUpRouter({ signUp, signUpLimiter }: SignUpRouterDependencies, provider: () => Provider): Router {
  const router = new Router();
  router.use(...formProtection, signInReturn(provider));

  const form = (ctx: Context, values: { name?: string; email?: string }, errors: FieldErrors = {}) => {
    const pageUrl = withInteraction('/signup', ctx.state.signInReturn?.uid);
    renderAccountPage(ctx, 'signup/signup', { ...values, errors, pageUrl }, { status: Object.keys(errors).length ? 400 : 200 });
  };
  const newLink = (ctx: Context) => ({ url: withInteraction('/signup', ctx.state.signInReturn?.uid), key: 'link.request_new_verification' });

  router.get('/signup', (ctx) => {
    form(ctx, {});
  });

  router.post('/signup', async (ctx) => {
    const input = parseForm(signUpForm, ctx.request.body);
    const name = input.name.trim();
    const email = emailSchema.safeParse(input.email);
    const errors: FieldErrors = {};
    if (!name) errors.name = 'account.name_required';
    if (!email.success) errors.email = 'account.email_invalid';
    // Every field is checked at once, so that one answer lists every problem.
    const passwordProblem = findPasswordProblem(input.password, { email: email.success ? email.data : input.email, name });
    if (passwordProblem) errors.password = passwordProblem;
    if (!email.success || Object.keys(errors).length) return form(ctx, { name, email: input.email }, errors);

    // Counted once the form is valid: typos cost nothing, sending mail does.
    await signUpLimiter.consume(email.data, ctx.ip);
    const signIn = ctx.state.signInReturn;
    await signUp.signUp({ name, email: email.data, password: input.password, locale: ctx.state.locale, signIn });
    renderAccountPage(ctx, 'recovery/check-email', {
      titleKey: 'signup.check_email_title',
      messageKey: 'signup.check_email',
      messageParams: { email: email.data },
      helpUrl: withInteraction('/help/email-not-received', signIn?.uid),
    });
  });

  router.get('/signup/verify', async (ctx) => {
    await withValidLink(ctx, newLink(ctx), async () => {
      const token = parseLinkToken(ctx.query.token);
      await signUp.checkVerificationLink(token);
      // A page with a button, not the confirmation itself: mail scanners that open links confirm nothing.
      renderAccountPage(ctx, 'signup/verify', { token });
    });
  });

  router.post('/signup/verify', async (ctx) => {
    const { token } = parseForm(linkForm, ctx.request.body);
    await withValidLink(ctx, newLink(ctx), async () => {
      const accountId = await signUp.verifyEmail(token);
      // Sent here by the app's prompt=create: going on signs the new account in.
      const signIn = ctx.state.signInReturn;
      if (signIn) await resumeAfterSignUp(provider(), signIn.uid, accountId);
      renderAccountPage(ctx, 'signup/verified');
    });
  });

  return router;
}
