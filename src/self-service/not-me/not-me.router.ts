import Router from '@koa/router';
import { z } from 'zod';
import { formProtection, parseForm } from '../../http/forms.ts';
import { type LinkRetry, parseLinkToken, withValidLink } from '../link-page.ts';
import { renderAccountPage } from '../sign-in-return.ts';
import type { NotMeService } from './not-me.service.ts';

const notMeForm = z.object({ token: z.string().max(200) });
/** A used or expired link: securing the account is still a password reset away. */
const retry: LinkRetry = { url: '/forgot-password', key: 'not_me.retry' };

/**
 * /not-me, the "This wasn't me" link of the notices: GET only shows what will happen (mail
 * scanners follow links), the form's POST does it and leads on to choosing a new password.
 */
export function notMeRouter(notMe: Pick<NotMeService, 'check' | 'secure'>): Router {
  const router = new Router({ prefix: '/not-me' });
  router.use(...formProtection);

  router.get('/', (ctx) =>
    withValidLink(ctx, retry, async () => {
      const token = parseLinkToken(ctx.query.token);
      const { email } = await notMe.check(token);
      renderAccountPage(ctx, 'not-me/confirm', { token, email, pageUrl: `/not-me?${new URLSearchParams({ token })}` });
    }),
  );

  router.post('/', async (ctx) => {
    const { token } = parseForm(notMeForm, ctx.request.body);
    await withValidLink(ctx, retry, async () => {
      const { email, resetToken } = await notMe.secure(parseLinkToken(token));
      renderAccountPage(ctx, 'not-me/secured', {
        email,
        resetUrl: resetToken ? `/reset-password?${new URLSearchParams({ token: resetToken })}` : undefined,
      });
    });
  });

  return router;
}
