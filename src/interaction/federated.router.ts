import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { emailSchema } from '../accounts/email.ts';
import { FederationError } from '../federation/federation-error.ts';
import { BadRequestError } from '../http/errors.ts';
import { interactionUrl } from '../oidc/interaction-url.ts';
import { hasMessage } from '../ui/i18n.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import { federatedLogin } from './federated-login.ts';
import type { InteractionServices } from './interaction-flow.ts';
import { linkPendingIdentity, savePendingLink } from './pending-link.ts';
import { signInStateOf } from './sign-in-state.ts';
import { redirectToSocialFailure, showSocialFailure } from './social-failure.ts';

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The email to pass upstream: the one typed on the identifier page (saved state), or the app's login_hint. */
function loginHintOf(ctx: Context, details: InteractionDetails): string | undefined {
  for (const candidate of [ctx.query.login_hint, signInStateOf(details)?.email, details.params.login_hint]) {
    const parsed = emailSchema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/**
 * The federated step of an interaction: `GET /interaction/:uid/federated/:connectionId` sends the
 * browser to the company IdP; `/resume` is where it comes back (via our callback URL), validates
 * the answer and finishes the login. Failures get a page that explains and offers a way back.
 */
export function federatedInteractionRouter(services: InteractionServices, provider: () => Provider): Router {
  const router = new Router({ prefix: '/interaction/:uid/federated' });

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const loginDetails = async (ctx: Context): Promise<InteractionDetails> => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid || details.prompt.name !== 'login') throw new BadRequestError('interaction.wrong_step');
    return details;
  };

  // Failures redirect to a page of their own, so that reloading it or switching its language works.
  const redirectToFailure = (ctx: Context, details: InteractionDetails, error: FederationError) => {
    const social = services.socialSignIn.byConnectionId(error.connectionId);
    if (social) return redirectToSocialFailure(ctx, details, error, social);
    const query = new URLSearchParams({ reason: error.code, ...(error.connectionId ? { connection: error.connectionId } : {}) });
    ctx.status = 303;
    ctx.redirect(`/interaction/${encodeURIComponent(details.uid)}/federated/failed?${query}`);
  };

  router.get('/failed', async (ctx) => {
    const details = await loginDetails(ctx);
    const social = services.socialSignIn.byConnectionId(typeof ctx.query.connection === 'string' ? ctx.query.connection : undefined);
    if (social) return showSocialFailure(ctx, details, social, ctx.query.reason);
    const uid = encodeURIComponent(details.uid);
    const reason =
      typeof ctx.query.reason === 'string' && ctx.query.reason.startsWith('federation.') && hasMessage(`error.${ctx.query.reason}`)
        ? ctx.query.reason
        : 'federation.upstream_error';
    const connection = typeof ctx.query.connection === 'string' && /^[\w-]{1,64}$/.test(ctx.query.connection) ? ctx.query.connection : undefined;
    renderPage(
      ctx,
      'federation/failed',
      {
        messageKey: `error.${reason}`,
        retryUrl: connection ? `/interaction/${uid}/federated/${connection}` : undefined,
        // The sign-in page again (the email step, filled in): not straight back to the company IdP.
        backUrl: interactionUrl(details.uid, details.params.client_id),
        requestId: ctx.state.requestId,
      },
      { status: reason === 'federation.upstream_unreachable' ? 502 : 400, locale: localeFor(ctx, details.params.ui_locales) },
    );
  });

  router.get('/resume', async (ctx) => {
    const details = await loginDetails(ctx);
    try {
      const { outcome, remember } = await services.federation.finish(details.uid, typeof ctx.query.callback === 'string' ? ctx.query.callback : '');
      if (outcome.kind === 'link_required') {
        // Never linked automatically: the sign-in page asks the person to sign in to an account first.
        await savePendingLink(ctx, provider(), details, { ...outcome.link, remember });
        ctx.status = 303;
        ctx.redirect(interactionUrl(details.uid, details.params.client_id));
        return;
      }
      await linkPendingIdentity(services, details, outcome.account.id);
      await provider().interactionFinished(ctx.req, ctx.res, { login: federatedLogin(outcome.account.id, remember) }, { mergeWithLastSubmission: false });
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      redirectToFailure(ctx, details, error);
    }
  });

  router.get('/:connectionId', async (ctx) => {
    const details = await loginDetails(ctx);
    try {
      const next = await services.federation.start(String(ctx.params.connectionId), { uid: details.uid, loginHint: loginHintOf(ctx, details) });
      if (next.kind === 'redirect') {
        ctx.redirect(next.url);
        return;
      }
      renderPage(ctx, 'federation/auto-post', { url: next.url, fields: Object.entries(next.fields) }, { locale: localeFor(ctx, details.params.ui_locales) });
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      redirectToFailure(ctx, details, error);
    }
  });

  return router;
}
