import Router from '@koa/router';
import { randomId } from '../crypto/random-id.ts';
import { BadRequestError } from '../http/errors.ts';
import { renderPage } from '../ui/views.ts';
import type { ConnectionSetupService } from './connection-setup.service.ts';
import type { ConnectionTestTickets } from './connection-test-tickets.ts';
import { connectionTestUrl } from './connection-test-urls.ts';
import type { FederationService } from './federation.service.ts';
import { FederationError, failureStatus } from './federation-error.ts';

const flowCookie = 'connection_test';

/**
 * A connection's test sign-in: the real upstream flow, from the link an admin was given (with its
 * ticket) to a page showing what the upstream sent. Nobody is signed in: the answer is validated
 * like any other, recorded on the connection, and goes no further.
 */
export function connectionTestRouter(deps: {
  federation: Pick<FederationService, 'startTest' | 'takeAnswer'>;
  setup: Pick<ConnectionSetupService, 'recordTest' | 'setupOf'>;
  tickets: Pick<ConnectionTestTickets, 'check'>;
}): Router {
  const router = new Router({ prefix: '/federation/test/:connectionId' });

  router.get('/', async (ctx) => {
    const connectionId = String(ctx.params.connectionId);
    await deps.tickets.check(typeof ctx.query.ticket === 'string' ? ctx.query.ticket : undefined, connectionId);
    const uid = randomId();
    // The answer comes back through the upstream: this cookie ties it to the browser that started the test.
    ctx.cookies.set(flowCookie, uid, { httpOnly: true, sameSite: 'lax', signed: true, path: connectionTestUrl(connectionId), secure: ctx.secure });
    const next = await deps.federation.startTest(connectionId, uid);
    ctx.set('Cache-Control', 'no-store');
    if (next.kind === 'redirect') {
      ctx.status = 303;
      ctx.redirect(next.url);
    } else renderPage(ctx, 'federation/auto-post', { url: next.url, fields: Object.entries(next.fields) });
  });

  router.get('/result', async (ctx) => {
    const connectionId = String(ctx.params.connectionId);
    const uid = ctx.cookies.get(flowCookie, { signed: true });
    const callbackId = typeof ctx.query.callback === 'string' ? ctx.query.callback : undefined;
    if (!uid || !callbackId) throw new BadRequestError('federation.state_invalid');
    let answer: Awaited<ReturnType<typeof deps.federation.takeAnswer>>;
    try {
      answer = await deps.federation.takeAnswer(uid, callbackId);
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      // A failed test is an answer too: the admin sees why (the upstream's reason), not an error page.
      const setup = await deps.setup.setupOf(connectionId);
      return renderPage(
        ctx,
        'federation/test-result',
        { connection: setup.name, adminUrl: adminUrlOf(setup.organizationId, connectionId), failure: { code: error.code, detail: error.message } },
        { status: failureStatus(error.code) },
      );
    }
    if (answer.state.returnTo !== 'test' || answer.connection.id !== connectionId) throw new FederationError('federation.state_invalid');
    const claims = await deps.setup.recordTest(connectionId, answer.profile);
    ctx.cookies.set(flowCookie, null, { path: connectionTestUrl(connectionId) });
    const { received, ...mapped } = claims;
    renderPage(ctx, 'federation/test-result', {
      connection: answer.connection.name,
      adminUrl: adminUrlOf(answer.connection.organizationId, connectionId),
      mapped: Object.entries(mapped).map(([field, value]) => [field, display(value)]),
      received: Object.entries(received as Record<string, unknown>).map(([field, value]) => [field, display(value)]),
    });
  });

  return router;
}

/** The connection in the admin center, where the admin goes next (enable it, or fix it). */
const adminUrlOf = (organizationId: string | null, connectionId: string) =>
  organizationId ? `/admin/orgs/${organizationId}/sso/${encodeURIComponent(connectionId)}` : undefined;

function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
