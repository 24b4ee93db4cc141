import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { emailSchema } from '../accounts/email.ts';
import { findPasswordProblem } from '../accounts/password-policy.ts';
import { formProtection, interactionUid, parseForm } from '../http/forms.ts';
import { parseLinkToken, withInteraction, withValidLink } from '../recovery/link-page.ts';
import type { Services } from '../services.ts';
import { renderPage } from '../ui/views.ts';

const signUpForm = z.object({
  name: z.string().max(200),
  email: z.string().max(320),
  password: z.string().max(1024),
  interaction: interactionUid,
});
const linkForm = z.object({ token: z.string().max(200), interaction: interactionUid });

type FieldErrors = Partial<Record<'name' | 'email' | 'password', string>>;

/** Self-service sign-up: /signup, then the emailed confirmation link /signup/verify. */
export function signUpRouter(services: Services): Router {
  const router = new Router();
  router.use(...formProtection);

  const form = (ctx: Context, values: { name?: string; email?: string; interaction?: string | undefined }, errors: FieldErrors = {}) => {
    renderPage(ctx, 'signup/signup', { ...values, errors }, { status: Object.keys(errors).length ? 400 : 200 });
  };
  const newLink = (interaction?: string) => ({ url: withInteraction('/signup', interaction), key: 'link.request_new_verification' });

  router.get('/signup', (ctx) => {
    form(ctx, { interaction: interactionUid.parse(ctx.query.interaction) });
  });

  router.post('/signup', async (ctx) => {
    const input = parseForm(signUpForm, ctx.request.body);
    const name = input.name.trim();
    const email = emailSchema.safeParse(input.email);
    const errors: FieldErrors = {};
    if (!name) errors.name = 'account.name_required';
    if (!email.success) errors.email = 'account.email_invalid';
    const passwordProblem = email.success ? findPasswordProblem(input.password, { email: email.data, name }) : undefined;
    if (passwordProblem) errors.password = passwordProblem;
    if (!email.success || Object.keys(errors).length) return form(ctx, { ...input, name }, errors);

    // Counted once the form is valid: typos cost nothing, sending mail does.
    await services.signUpLimiter.consume(email.data, ctx.ip);
    await services.signUp.signUp({ name, email: email.data, password: input.password, locale: ctx.state.locale, interaction: input.interaction });
    renderPage(ctx, 'recovery/check-email', {
      titleKey: 'signup.check_email_title',
      messageKey: 'signup.check_email',
      messageParams: { email: email.data },
      helpUrl: withInteraction('/help/email-not-received', input.interaction),
    });
  });

  router.get('/signup/verify', async (ctx) => {
    const interaction = interactionUid.parse(ctx.query.interaction);
    await withValidLink(ctx, newLink(interaction), async () => {
      const token = parseLinkToken(ctx.query.token);
      await services.signUp.checkVerificationLink(token);
      // A page with a button, not the confirmation itself: mail scanners that open links confirm nothing.
      renderPage(ctx, 'signup/verify', { token, interaction });
    });
  });

  router.post('/signup/verify', async (ctx) => {
    const { token, interaction } = parseForm(linkForm, ctx.request.body);
    await withValidLink(ctx, newLink(interaction), async () => {
      await services.signUp.verifyEmail(token);
      renderPage(ctx, 'signup/verified', { interaction });
    });
  });

  return router;
}
