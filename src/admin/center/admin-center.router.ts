import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../http/errors.ts';
import { formBodyParser } from '../../http/form-body.ts';
import { formProtection } from '../../http/forms.ts';
import { requestOrigin } from '../../http/request-context.ts';
import { renderPage } from '../../ui/views.ts';
import type { AdminModule } from '../admin.module.ts';
import { type AdminPrincipal, authorize, isAdmin } from '../admin-principal.ts';
import type { AdminCenterSignIn, PendingSignIn } from './admin-center-sign-in.ts';
import type { AdminPage, AdminPageParams } from './page-kit.ts';

const sessionCookie = 'admin_session';
const pendingCookie = 'admin_sign_in';
const pendingTtlMs = 10 * 60 * 1000;

const pendingSchema = z.object({ state: z.string(), nonce: z.string(), codeVerifier: z.string(), returnTo: z.string() });
const pageParams = z.object({
  organizationId: z.uuid().optional(),
  accountId: z.uuid().optional(),
  domain: z
    .string()
    .regex(/^[a-z0-9.-]{1,253}$/)
    .optional(),
  clientId: z
    .string()
    .regex(/^[\w.~-]{1,128}$/)
    .optional(),
  connectionId: z
    .string()
    .regex(/^[\w-]{1,100}$/)
    .optional(),
});

/** Only a path of the admin center itself is a place to come back to after signing in. */
const safeReturnTo = (value: string) => (/^\/admin(\/[\w./?=&%-]*)?$/.test(value) && !value.startsWith('/admin/api') ? value : '/admin');

export interface AdminCenterRouterDependencies {
  admin: AdminModule;
  signIn: AdminCenterSignIn;
}

/**
 * The admin center at /admin: its own sign-in as a relying party (signIn), then every page of the
 * table behind the role it declares. A person without any admin role gets a page saying so.
 */
export function adminCenterRouter({ admin, signIn }: AdminCenterRouterDependencies, pages: readonly AdminPage[]): Router {
  const router = new Router({ prefix: '/admin' });
  // A SAML metadata document posted from the SSO page is larger than any other admin form.
  router.post('/orgs/:organizationId/sso/saml', formBodyParser('2mb'));
  router.use(...formProtection);

  const cookieOptions = (ctx: Context) => ({ httpOnly: true, sameSite: 'lax' as const, secure: ctx.secure, path: '/admin', overwrite: true });

  const startSignIn = async (ctx: Context) => {
    const { url, pending } = await signIn.start(safeReturnTo(ctx.originalUrl), ctx.state.locale);
    ctx.cookies.set(pendingCookie, JSON.stringify(pending), { ...cookieOptions(ctx), signed: true, maxAge: pendingTtlMs });
    ctx.status = 303;
    ctx.redirect(url);
  };

  router.get('/signed-in', async (ctx) => {
    const stored = ctx.cookies.get(pendingCookie, { signed: true });
    ctx.cookies.set(pendingCookie, null, { ...cookieOptions(ctx), signed: true });
    let pending: PendingSignIn | undefined;
    try {
      pending = stored ? pendingSchema.parse(JSON.parse(stored)) : undefined;
    } catch {
      pending = undefined;
    }
    if (!pending || typeof ctx.query.error === 'string') throw new AppError('admin.sign_in_failed', 400);
    const { sessionId } = await signIn.finish(new URL(ctx.originalUrl, signIn.redirectUri), pending);
    ctx.cookies.set(sessionCookie, sessionId, cookieOptions(ctx));
    ctx.status = 303;
    ctx.redirect(safeReturnTo(pending.returnTo));
  });

  router.post('/sign-out', async (ctx) => {
    const endSessionUrl = await signIn.signOut(ctx.cookies.get(sessionCookie));
    ctx.cookies.set(sessionCookie, null, cookieOptions(ctx));
    ctx.status = 303;
    ctx.redirect(endSessionUrl);
  });

  for (const page of pages) {
    router[page.method](page.path, async (ctx) => {
      const principal: AdminPrincipal | undefined = await signIn.principal(ctx.cookies.get(sessionCookie));
      if (!principal) {
        // A form posted after the session ended cannot be replayed: sign in, then start again.
        if (page.method === 'get') return startSignIn(ctx);
        ctx.status = 303;
        return ctx.redirect('/admin');
      }
      if (!isAdmin(principal)) return renderPage(ctx, 'admin/not-admin', {}, { status: 403 });
      const parsed = pageParams.safeParse(ctx.params);
      if (!parsed.success) throw new AppError('admin.not_found', 404);
      const params: AdminPageParams = parsed.data;
      authorize(principal, page.role, page.scope === 'organization' ? params.organizationId : undefined);
      await page.handle(ctx, { principal, origin: requestOrigin(ctx) }, params, admin);
    });
  }
  return router;
}
