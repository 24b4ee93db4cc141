import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { emailSchema } from '../accounts/email.ts';
import { FederationError } from '../federation/federation-error.ts';
import { BadRequestError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import { localeFor } from '../ui/locale.ts';
import { finishLogin, savePendingLink } from './finish-login.ts';
import { socialFailure } from './social-failure.ts';
import { renderPage } from '../ui/views.ts';

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

function loginHintOf(ctx: Context, details: InteractionDetails): string | undefined {
  for (const candidate of [ctx.query.login_hint, details.params.login_hint]) {
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
export function federatedInteractionRouter(services: Services, provider: () => Provider): Router {
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

  const renderFailure = (ctx: Context, details: InteractionDetails, error: FederationError) => {
    const social = services.socialSignIn.byConnectionId(error.connectionId);
    if (social) return socialFailure(ctx, details, error, social);
    const uid = encodeURIComponent(details.uid);
    renderPage(
      ctx,
      'federation/failed',
      {
        messageKey: `error.${error.code}`,
        retryUrl: error.connectionId ? `/interaction/${uid}/federated/${encodeURIComponent(error.connectionId)}` : undefined,
        backUrl: `/interaction/${uid}`,
        requestId: ctx.state.requestId,
      },
      { status: error.status, locale: localeFor(ctx, details.params.ui_locales) },
    );
  };

  router.get('/resume', async (ctx) => {
    const details = await loginDetails(ctx);
    try {
      const { outcome, remember } = await services.federation.finish(details.uid, typeof ctx.query.callback === 'string' ? ctx.query.callback : '');
      if (outcome.kind === 'link_required') {
        // Never linked automatically: the sign-in page asks the person to sign in to the account first.
        await savePendingLink(ctx, provider(), outcome.link);
        ctx.status = 303;
        ctx.redirect(`/interaction/${encodeURIComponent(details.uid)}`);
        return;
      }
      await finishLogin(ctx, services, provider(), details, { accountId: outcome.account.id, amr: ['fed'], remember });
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      renderFailure(ctx, details, error);
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
      renderFailure(ctx, details, error);
    }
  });

  return router;
}
