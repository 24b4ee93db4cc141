import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { emailSchema } from '../accounts/email.ts';
import { FederationError } from '../federation/federation-error.ts';
import { csrfProtection } from '../http/csrf.ts';
import { BadRequestError, NotFoundError } from '../http/errors.ts';
import { withValidLink } from '../self-service/link-page.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import { federatedLogin } from './federated-login.ts';
import type { InteractionDetails, InteractionServices } from './interaction-flow.ts';
import { pendingLinkOf, savePendingLink } from './pending-link.ts';
import { redirectToSocialFailure, signInPageWith } from './social-failure.ts';

const startForm = z.object({ provider: z.string().max(32), remember: z.literal('on').optional() });
const confirmForm = z.object({ email: z.string().max(1024).catch('') });
const tokenForm = z.object({ token: z.string().max(200).catch('') });

/**
 * The social buttons of the sign-in page: `POST /interaction/:uid/social` sends the browser to the
 * chosen provider (the answer comes back through /federation/social-<name>/callback and the
 * interaction's federated resume URL); `POST .../social/forget-link` drops an identity waiting to
 * be linked, when the person would rather not link it.
 */
export function socialInteractionRouter(services: InteractionServices, provider: () => Provider): Router {
  const router = new Router({ prefix: '/interaction/:uid/social' });
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(csrfProtection);

  const loginDetails = async (ctx: Context) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid || details.prompt.name !== 'login') throw new BadRequestError('interaction.wrong_step');
    return details;
  };

  /** The interaction of this browser, or undefined after a page saying to open the link where the sign-in started. */
  const confirmationDetails = async (ctx: Context) => {
    const details = await provider()
      .interactionDetails(ctx.req, ctx.res)
      .catch(() => undefined);
    if (details && details.uid === ctx.params.uid && details.prompt.name === 'login') return details;
    renderPage(ctx, 'recovery/link-invalid', { retryKey: 'social.confirm.other_browser' }, { status: 400 });
    return undefined;
  };

  const withLink = (ctx: Context, details: InteractionDetails, page: () => Promise<void> | void) =>
    withValidLink(ctx, { url: signInPageWith(details), key: 'social.back_to_sign_in' }, async () => page());

  router.post('/', async (ctx) => {
    const details = await loginDetails(ctx);
    const form = startForm.safeParse(ctx.request.body ?? {});
    if (!form.success) throw new BadRequestError('http.bad_request');
    const social = services.socialSignIn.byName(form.data.provider);
    if (!social) throw new NotFoundError('federation.connection_not_found');
    try {
      const next = await services.federation.start(social.connectionId, { uid: details.uid, loginHint: undefined, remember: form.data.remember === 'on' });
      ctx.status = 303;
      ctx.redirect(next.url);
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      redirectToSocialFailure(ctx, details, error, social);
    }
  });

  // Confirming an address by link, for an identity whose provider did not verify its email.
  router.post('/confirm-email/send', async (ctx) => {
    const details = await loginDetails(ctx);
    const pending = pendingLinkOf(details);
    const social = pending && services.socialSignIn.byConnectionId(pending.connectionId);
    if (pending?.reason !== 'email_unverified' || !social) throw new BadRequestError('interaction.wrong_step');
    const email = emailSchema.safeParse(confirmForm.parse(ctx.request.body ?? {}).email);
    if (!email.success) {
      ctx.status = 303;
      ctx.redirect(signInPageWith(details, { confirm_error: 'email_invalid' }));
      return;
    }
    // Each link is a mail sent: counted like a sign-up.
    await services.signUpLimiter.consume(email.data, ctx.ip);
    const locale = localeFor(ctx, details.params.ui_locales);
    const link = await services.socialEmailConfirmation.send(pending, email.data, { uid: details.uid, provider: social.displayName, locale });
    await savePendingLink(ctx, provider(), details, link);
    renderPage(
      ctx,
      'recovery/check-email',
      {
        titleKey: 'social.confirm.check_email_title',
        messageKey: 'social.confirm.check_email',
        messageParams: { email: email.data, provider: social.displayName, hours: services.socialEmailConfirmation.lifetimeHours },
        helpUrl: `/help/email-not-received?${new URLSearchParams({ interaction: details.uid })}`,
      },
      { locale },
    );
  });

  // The mailed link opens a page with a button: mail scanners that open links confirm nothing.
  router.get('/confirm-email', async (ctx) => {
    const details = await confirmationDetails(ctx);
    if (!details) return;
    const pending = pendingLinkOf(details);
    const { token } = tokenForm.parse(ctx.query);
    await withLink(ctx, details, () => {
      const { link, email } = services.socialEmailConfirmation.check(pending, token);
      const social = services.socialSignIn.byConnectionId(link.connectionId);
      const action = `/interaction/${encodeURIComponent(details.uid)}/social/confirm-email`;
      renderPage(
        ctx,
        'social/confirm-email',
        { action, token, email, provider: social?.displayName ?? '' },
        { locale: localeFor(ctx, details.params.ui_locales) },
      );
    });
  });

  router.post('/confirm-email', async (ctx) => {
    const details = await confirmationDetails(ctx);
    if (!details) return;
    const pending = pendingLinkOf(details);
    const { token } = tokenForm.parse(ctx.request.body ?? {});
    await withLink(ctx, details, async () => {
      const social = services.socialSignIn.byConnectionId(pending?.connectionId);
      try {
        const account = await services.socialEmailConfirmation.confirm(pending, token);
        await provider().interactionFinished(ctx.req, ctx.res, { login: federatedLogin(account.id, pending?.remember) }, { mergeWithLastSubmission: false });
      } catch (error) {
        if (!(error instanceof FederationError) || !social) throw error;
        redirectToSocialFailure(ctx, details, error, social);
      }
    });
  });

  router.post('/forget-link', async (ctx) => {
    const details = await loginDetails(ctx);
    await savePendingLink(ctx, provider(), details, null);
    ctx.status = 303;
    ctx.redirect(signInPageWith(details));
  });

  return router;
}
