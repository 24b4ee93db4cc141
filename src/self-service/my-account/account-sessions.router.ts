import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { formProtection, parseForm } from '../../http/forms.ts';
import { deviceTokenOf } from '../../journey/device-cookie.ts';
import { hasMessage } from '../../ui/i18n.ts';
import { renderPage } from '../../ui/views.ts';
import type { AccountSessionsService } from './account-sessions.service.ts';

const sessionForm = z.object({ session: z.string().min(1).max(64) });
const deviceForm = z.object({ device: z.string().max(64) });

/**
 * My account's "Devices and sessions" at /account/sessions (service: account-sessions.service.ts):
 * the browsers signed in (each removable but this one, which signs out with "Sign out"), "sign out
 * other sessions", and the trusted browsers (each removable).
 */
export function accountSessionsRouter(accountSessions: AccountSessionsService, provider: () => Provider): Router {
  const router = new Router({ prefix: '/account' });
  router.use(...formProtection);

  /** This browser's account and session, or undefined after sending a signed-out visitor to My account (which signs in). */
  const signedIn = async (ctx: Context): Promise<{ accountId: string; sessionUid: string } | undefined> => {
    const session = await provider().Session.get(ctx);
    if (session.accountId) return { accountId: session.accountId, sessionUid: session.uid };
    ctx.redirect('/account');
    return undefined;
  };

  const backToSessions = (ctx: Context, notice: string) => {
    ctx.status = 303;
    ctx.redirect(`/account/sessions?${new URLSearchParams({ notice })}`);
  };

  router.get('/sessions', async (ctx) => {
    const signed = await signedIn(ctx);
    if (!signed) return;
    const deviceToken = deviceTokenOf(ctx);
    const [sessions, trustedDevices] = await Promise.all([
      accountSessions.sessions(signed.accountId, signed.sessionUid),
      accountSessions.trustedDevices(signed.accountId, deviceToken),
    ]);
    const notice = typeof ctx.query.notice === 'string' && hasMessage(`sessions.notice.${ctx.query.notice}`) ? ctx.query.notice : undefined;
    const moments = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'long', timeStyle: 'short' });
    const days = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'long' });
    renderPage(ctx, 'account/sessions', {
      notice: notice && `sessions.notice.${notice}`,
      sessions: sessions.map((session) => ({ ...session, signedInOn: moments.format(session.signedInAt) })),
      othersSignedIn: sessions.some((session) => !session.current),
      trustedDevices: trustedDevices.map((device) => ({
        ...device,
        lastUsedOn: moments.format(device.lastUsedAt),
        trustedUntilDay: days.format(device.trustedUntil),
      })),
    });
  });

  router.post('/sessions/remove', async (ctx) => {
    const signed = await signedIn(ctx);
    if (!signed) return;
    const { session } = parseForm(sessionForm, ctx.request.body);
    // This browser's own session ends with "Sign out" (RP-initiated logout), which also clears its cookie.
    if (session === signed.sessionUid) return backToSessions(ctx, 'current_session');
    await accountSessions.removeSession(signed.accountId, session);
    backToSessions(ctx, 'session_removed');
  });

  router.post('/sessions/sign-out-others', async (ctx) => {
    const signed = await signedIn(ctx);
    if (!signed) return;
    await accountSessions.signOutOthers(signed.accountId, signed.sessionUid, deviceTokenOf(ctx));
    backToSessions(ctx, 'others_signed_out');
  });

  router.post('/devices/remove', async (ctx) => {
    const signed = await signedIn(ctx);
    if (!signed) return;
    const { device } = parseForm(deviceForm, ctx.request.body);
    await accountSessions.removeTrustedDevice(signed.accountId, device);
    backToSessions(ctx, 'device_removed');
  });

  return router;
}
