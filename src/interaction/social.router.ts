import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { FederationError } from '../federation/federation-error.ts';
import { csrfProtection } from '../http/csrf.ts';
import { BadRequestError, NotFoundError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import { interactionUrl } from './interaction-url.ts';
import { savePendingLink } from './pending-link.ts';
import { redirectToSocialFailure } from './social-failure.ts';

const startForm = z.object({ provider: z.string().max(32), remember: z.literal('on').optional() });

/**
 * The social buttons of the sign-in page: `POST /interaction/:uid/social` sends the browser to the
 * chosen provider (the answer comes back through /federation/social-<name>/callback and the
 * interaction's federated resume URL); `POST .../social/forget-link` drops an identity waiting to
 * be linked, when the person would rather not link it.
 */
export function socialInteractionRouter(services: Services, provider: () => Provider): Router {
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

  router.post('/forget-link', async (ctx) => {
    const details = await loginDetails(ctx);
    await savePendingLink(ctx, provider(), details, null);
    ctx.status = 303;
    ctx.redirect(interactionUrl(details.uid, details.params.client_id));
  });

  return router;
}
