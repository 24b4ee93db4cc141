import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { csrfProtection } from '../http/csrf.ts';
import { BadRequestError } from '../http/errors.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import { grantConsent } from './consent.step.ts';
import { finishLogin, pendingLinkOf } from './finish-login.ts';
import { socialSignInView } from './social-sign-in.view.ts';

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

const loginForm = z.object({
  email: z.string().trim().max(254),
  password: z.string().max(1024),
  remember: z.literal('on').optional(),
});

function parseForm<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new BadRequestError('http.bad_request');
  return parsed.data;
}

function expectPrompt(details: InteractionDetails, name: string): void {
  if (details.prompt.name !== name) throw new BadRequestError('interaction.wrong_step');
}

/**
 * The pages oidc-provider sends the browser to when it needs the user: sign-in and consent.
 * Each POST re-reads the interaction and checks it is at the expected step before acting.
 */
export function interactionRouter(services: Services, provider: () => Provider): Router {
  const router = new Router({ prefix: '/interaction/:uid' });

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(csrfProtection);

  const page = async (ctx: Context, details: InteractionDetails, view: { error?: string; email?: string; ssoUrl?: string } = {}) => {
    const client = await provider().Client.find(String(details.params.client_id));
    const locale = localeFor(ctx, details.params.ui_locales);
    const template = details.prompt.name === 'login' ? 'interaction/login' : 'interaction/consent';
    renderPage(
      ctx,
      template,
      {
        uid: details.uid,
        clientName: client?.clientName ?? String(details.params.client_id),
        email: view.email ?? pendingLinkOf(details)?.email ?? (typeof details.params.login_hint === 'string' ? details.params.login_hint : ''),
        error: view.error,
        ssoUrl: view.ssoUrl,
        scopes: String(details.params.scope ?? '').split(' ').filter((scope) => scope && scope !== 'openid'),
        social: socialSignInView(ctx, services, details),
      },
      { locale, status: view.error ? 400 : 200 },
    );
  };

  router.get('/', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await page(ctx, details);
  });

  router.post('/login', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    expectPrompt(details, 'login');
    const form = parseForm(loginForm, ctx.request.body);
    // Under enforced SSO the password is not even checked: the company IdP is the only way in.
    const enforced = await services.ssoEnforcement.requiredFor(form.email, (await services.accounts.findByEmail(form.email))?.id);
    if (enforced) {
      await page(ctx, details, { error: 'session.sso_required', email: form.email, ssoUrl: `/interaction/${details.uid}/federated/${enforced.connectionId}` });
      return;
    }
    const account = await services.accountService.authenticateWithPassword(form.email, form.password);
    if (!account) {
      await page(ctx, details, { error: 'session.invalid_credentials', email: form.email });
      return;
    }
    await finishLogin(ctx, services, provider(), details, { accountId: account.id, amr: ['pwd'], remember: form.remember === 'on' });
  });

  router.post('/consent', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    expectPrompt(details, 'consent');
    const grantId = await grantConsent(provider(), details);
    await provider().interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  router.post('/abort', async (ctx) => {
    await provider().interactionDetails(ctx.req, ctx.res);
    await provider().interactionFinished(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
  });

  return router;
}
