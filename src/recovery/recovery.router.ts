import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { emailSchema } from '../accounts/email.ts';
import { formProtection, interactionUid, parseForm } from '../http/forms.ts';
import type { Services } from '../services.ts';
import { renderPage } from '../ui/views.ts';
import { withInteraction } from './link-page.ts';
import { type SetPasswordFlow, showSetPassword, submitSetPassword } from './set-password.page.ts';

const forgotForm = z.object({ email: z.string().max(320), interaction: interactionUid });

/** Forgot password (/forgot-password), the emailed link (/reset-password) and the "no email?" help page. */
export function recoveryRouter(services: Services): Router {
  const router = new Router();
  router.use(...formProtection);
  const { config } = services;

  const form = (ctx: Context, values: { email?: string | undefined; interaction?: string | undefined; error?: string }) => {
    renderPage(ctx, 'recovery/forgot-password', values, { status: values.error ? 400 : 200 });
  };

  const reset: SetPasswordFlow = {
    mode: 'reset',
    action: '/reset-password',
    retry: (interaction) => ({ url: withInteraction('/forgot-password', interaction), key: 'link.request_new_reset' }),
    check: (token) => services.recovery.checkResetLink(token),
    complete: (ctx, token, password, interaction) => services.recovery.resetPassword(token, password, ctx.state.locale, interaction),
  };

  router.get('/forgot-password', (ctx) => {
    const email = typeof ctx.query.email === 'string' ? ctx.query.email.slice(0, 320) : '';
    form(ctx, { email, interaction: interactionUid.parse(ctx.query.interaction) });
  });

  router.post('/forgot-password', async (ctx) => {
    const { email, interaction } = parseForm(forgotForm, ctx.request.body);
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) return form(ctx, { email, interaction, error: 'account.email_invalid' });
    await services.forgotPasswordLimiter.consume(parsed.data, ctx.ip);
    // A password would not sign these users in: send them to their company sign-in instead of a reset link.
    const enforced = await services.ssoEnforcement.requiredFor(parsed.data, (await services.accounts.findByEmail(parsed.data))?.id);
    if (enforced) {
      renderPage(ctx, 'recovery/company-sign-in', {
        companySignInUrl: interaction ? `/interaction/${encodeURIComponent(interaction)}/federated/${encodeURIComponent(enforced.connectionId)}` : undefined,
      });
      return;
    }
    await services.recovery.requestReset(parsed.data, ctx.state.locale, interaction);
    renderPage(ctx, 'recovery/check-email', {
      titleKey: 'forgot.check_email_title',
      messageKey: 'forgot.check_email',
      messageParams: { email: parsed.data, minutes: Math.round(config.links.passwordResetSeconds / 60) },
      helpUrl: withInteraction('/help/email-not-received', interaction, { email: parsed.data }),
    });
  });

  router.get('/reset-password', (ctx) => showSetPassword(ctx, reset));
  router.post('/reset-password', (ctx) => submitSetPassword(ctx, reset));

  router.get('/help/email-not-received', (ctx) => {
    const interaction = interactionUid.parse(ctx.query.interaction);
    const email = emailSchema.safeParse(ctx.query.email);
    renderPage(ctx, 'recovery/email-help', {
      // The address alone ("Sign-in <no-reply@x>" → "no-reply@x"): that is what goes into contacts.
      sender: /<([^>]+)>/.exec(config.mailFrom)?.[1] ?? config.mailFrom,
      resetUrl: withInteraction('/forgot-password', interaction, email.success ? { email: email.data } : {}),
      signUpUrl: withInteraction('/signup', interaction),
    });
  });

  return router;
}
