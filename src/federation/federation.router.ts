import Router from '@koa/router';
import type { Context } from 'koa';
import { NotFoundError } from '../http/errors.ts';
import { connectionTestUrl } from './connection-test-urls.ts';
import type { FederationService, ReceivedCallback } from './federation.service.ts';
import { SamlConnection } from './saml/saml.connection.ts';
import type { CallbackParams } from './upstream-connection.ts';

/** Only the string parameters an upstream sends: repeated or structured values are dropped. */
function stringParams(source: unknown): CallbackParams {
  return Object.fromEntries(
    Object.entries((source ?? {}) as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * The fixed URLs upstreams talk to. They sit outside the interaction cookie's path, so they only
 * read the state, keep the answer, and send the browser on (303) to the interaction's resume URL
 * (`resumeUrl`, the sign-in journey's) or to the account page.
 */
export function federationRouter(deps: {
  federation: Pick<FederationService, 'receiveCallback' | 'registry'>;
  resumeUrl: (callback: ReceivedCallback) => string;
}): Router {
  const router = new Router({ prefix: '/federation/:connectionId' });

  const forward = async (ctx: Context, params: CallbackParams) => {
    const callback = await deps.federation.receiveCallback(String(ctx.params.connectionId), params);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    const callbackQuery = `callback=${encodeURIComponent(callback.callbackId)}`;
    if (callback.returnTo === 'account') ctx.redirect(`/account/linked?${callbackQuery}`);
    else if (callback.returnTo === 'test') ctx.redirect(`${connectionTestUrl(String(ctx.params.connectionId))}/result?${callbackQuery}`);
    else ctx.redirect(deps.resumeUrl(callback));
  };

  // OIDC authorization responses (query), and SAML responses (HTTP-POST binding, a cross-site form post).
  router.get('/callback', (ctx) => forward(ctx, stringParams(ctx.query)));
  router.post('/saml/acs', (ctx) => forward(ctx, stringParams(ctx.request.body)));

  router.get('/saml/metadata', async (ctx) => {
    // A draft's too: the IdP must know our SP before its test sign-in can run.
    const connection = await deps.federation.registry.load(String(ctx.params.connectionId), { drafts: true });
    if (!(connection instanceof SamlConnection)) throw new NotFoundError();
    ctx.type = 'application/samlmetadata+xml';
    ctx.body = connection.metadataXml();
  });

  return router;
}
