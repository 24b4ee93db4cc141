import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { AttemptLimiter } from '../../abuse/attempt-limiter.ts';
import { emailSchema } from '../../accounts/email.ts';
import type { Config } from '../../config.ts';
import type { SsoEnforcement } from '../../hrd/sso-enforcement.ts';
import { formProtection, parseForm } from '../../http/forms.ts';
import { interactionUrls } from '../../journey/urls.ts';
import { withInteraction } from '../link-page.ts';
import { type SetPasswordFlow, showSetPassword, submitSetPassword } from '../set-password.page.ts';
import { renderAccountPage, signInReturn } from '../sign-in-return.ts';
import type { RecoveryService } from './recovery.service.ts';

const forgotForm = z.object({ email: z.string().max(320) });

/** Forgot password (/forgot-password), the emailed link (/reset-password) and the "no email?" help page. */
export interface RecoveryRouterDependencies {
  config: Pick<Config, 'links' | 'mailFrom'>;
  recovery: RecoveryService;
  forgotPasswordLimiter: AttemptLimiter;
  ssoEnforcement: SsoEnforcement;
}

export function recoveryRouter({ config, recovery, forgotPasswordLimiter, ssoEnforcement }: RecoveryRouterDependencies, provider: () => Provider): Router {
  const router = new Router();
  router.use(...formProtection, signInReturn(provider));
  const interactionOf = (ctx: Context) => ctx.state.signInReturn?.uid;

  const form = (ctx: Context, values: { email?: string | undefined; error?: string }) => {
    const pageUrl = withInteraction('/forgot-password', interactionOf(ctx), values.email ? { email: values.email } : {});
    renderAccountPage(ctx, 'recovery/forgot-password', { ...values, pageUrl }, { status: values.error ? 400 : 200 });
  };

  const reset: SetPasswordFlow = {
    mode: 'reset',
    action: '/reset-password',
    retry: (ctx) => ({ url: withInteraction('/forgot-password', interactionOf(ctx)), key: 'link.request_new_reset' }),
    check: (token) => recovery.checkResetLink(token),
    complete: (ctx, token, password) => recovery.resetPassword(token, password, ctx.state.locale, interactionOf(ctx)),
  };

  router.get('/forgot-password', (ctx) => {
    form(ctx, { email: typeof ctx.query.email === 'string' ? ctx.query.email.slice(0, 320) : '' });
  });

  router.post('/forgot-password', async (ctx) => {
    const { email } = parseForm(forgotForm, ctx.request.body);
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) return form(ctx, { email, error: 'account.email_invalid' });
    await forgotPasswordLimiter.consume(parsed.data, ctx.ip);
    // A password would not sign these users in: send them to their company sign-in instead of a reset
    // link. By domain only: answering by membership would tell whether the address has an account.
    const enforced = await ssoEnforcement.forEmailDomain(parsed.data);
    if (enforced) {
      const signIn = ctx.state.signInReturn;
      renderAccountPage(ctx, 'recovery/company-sign-in', {
        companySignInUrl: signIn ? interactionUrls.federated(signIn, enforced.connectionId) : undefined,
      });
      return;
    }
    await recovery.requestReset(parsed.data, ctx.state.locale, interactionOf(ctx));
    renderAccountPage(ctx, 'recovery/check-email', {
      titleKey: 'forgot.check_email_title',
      messageKey: 'forgot.check_email',
      messageParams: { email: parsed.data, minutes: Math.round(config.links.passwordResetSeconds / 60) },
      helpUrl: withInteraction('/help/email-not-received', interactionOf(ctx), { email: parsed.data }),
    });
  });

  router.get('/reset-password', (ctx) => showSetPassword(ctx, reset));
  router.post('/reset-password', (ctx) => submitSetPassword(ctx, reset));

  router.get('/help/email-not-received', (ctx) => {
    const email = emailSchema.safeParse(ctx.query.email);
    renderAccountPage(ctx, 'recovery/email-help', {
      // The address alone ("Sign-in <no-reply@x>" → "no-reply@x"): that is what goes into contacts.
      sender: /<([^>]+)>/.exec(config.mailFrom)?.[1] ?? config.mailFrom,
      resetUrl: withInteraction('/forgot-password', interactionOf(ctx), email.success ? { email: email.data } : {}),
      signUpUrl: withInteraction('/signup', interactionOf(ctx)),
    });
  });

  return router;
}
