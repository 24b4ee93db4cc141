import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { csrfProtection } from '../http/csrf.ts';
import { interactionUrl } from '../oidc/interaction-url.ts';
import { findClientView } from '../ui/client-view.ts';
import { showCompanyId, submitCompanyId } from './company-id.step.ts';
import { abortInteraction, showConsent, submitConsent } from './consent.step.ts';
import { showIdentifier, startSignIn, submitIdentifier } from './identifier.step.ts';
import type { InteractionServices } from './interaction-flow.ts';
import { type InteractionFlow, loadFlow, seeOther, stepUrl } from './interaction-flow.ts';
import { showPassword, submitPassword } from './password.step.ts';

/** GET /interaction/:uid shows whatever step the saved state says. */
async function showCurrentStep(flow: InteractionFlow): Promise<void> {
  if (flow.details.prompt.name === 'consent') return showConsent(flow);
  const { state } = flow;
  if (!state) return startSignIn(flow);
  if (state.step === 'password') return showPassword(flow, state);
  // Back from a company sign-in page: offer the email again rather than bouncing back there.
  showIdentifier(flow, { email: state.email });
}

/** Pages reached by a link (identifier, company ID) exist only while the sign-in asks for a login. */
function loginPage(show: (flow: InteractionFlow) => void) {
  return async (flow: InteractionFlow) => (flow.details.prompt.name === 'login' ? show(flow) : seeOther(flow.ctx, stepUrl(flow)));
}

/**
 * When an interaction page fails, tell the error page how the person can go on: back to the
 * step they are at while the interaction lives; once it has expired (or finished), back to the
 * app, found through the client_id every interaction URL carries. The app's redirect_uri is not
 * used for that: without the interaction, its state and the validated redirect_uri are gone.
 */
function recoveryOnError(provider: () => Provider) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      const { uid } = ctx.params as { uid: string };
      // Only to choose a link: a failure here leaves the original error to be reported.
      const details = await provider()
        .interactionDetails(ctx.req, ctx.res)
        .catch(() => undefined);
      const alive = details?.uid === uid;
      const clientId = alive ? details.params.client_id : ctx.query.client_id;
      const client = await findClientView(provider(), clientId).catch(() => undefined);
      const pageUrl = interactionUrl(uid, clientId);
      const action = alive
        ? { href: pageUrl, messageKey: 'interaction.continue' }
        : client?.restartUri && { href: client.restartUri, messageKey: 'interaction.return_to_app' };
      ctx.state.errorPage = { client, pageUrl, ...(action ? { action } : {}) };
      throw error;
    }
  };
}

async function noStore(ctx: Context, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  await next();
}

/**
 * The pages oidc-provider sends the browser to when it needs the person: identifier, password,
 * company ID, consent. Each handler reads the interaction afresh and checks its step first.
 */
export function interactionRouter(services: InteractionServices, provider: () => Provider): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  router.use(noStore);
  router.use(recoveryOnError(provider));
  router.use(csrfProtection);

  const on = (handler: (flow: InteractionFlow) => Promise<void> | void) => async (ctx: Context) => {
    await handler(await loadFlow(ctx, services, provider()));
  };

  router.get('/', on(showCurrentStep));
  router.get('/identifier', on(loginPage(showIdentifier)));
  router.get('/company-id', on(loginPage(showCompanyId)));
  // A POST-only address opened directly (copied from the address bar) leads to the current step.
  router.get(
    ['/password', '/consent', '/abort'],
    on((flow) => seeOther(flow.ctx, stepUrl(flow))),
  );

  router.post('/identifier', on(submitIdentifier));
  router.post('/password', on(submitPassword));
  router.post('/company-id', on(submitCompanyId));
  router.post('/consent', on(submitConsent));
  router.post('/abort', on(abortInteraction));
  return router;
}
