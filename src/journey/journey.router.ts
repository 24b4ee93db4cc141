import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { csrfProtection } from '../http/csrf.ts';
import { findClientView } from '../ui/client-view.ts';
import { asksForSignUp, type JourneyDeps, type JourneyFlow, type JourneyStepDefinition, loadFlow, promptOf, type StepRoute, seeOther } from './flow.ts';
import { consentStep, identifierStep, journeySteps, startSignUp } from './steps/index.ts';
import { interactionUrls } from './urls.ts';

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
      const pageUrl = interactionUrls.signIn({ uid, clientId });
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

/** GET /interaction/:uid shows whatever the interaction is at: consent, the saved step, or the first step. */
function showCurrentStep(steps: JourneyStepDefinition[]) {
  return (flow: JourneyFlow) => {
    if (flow.details.prompt.name === 'consent') return consentStep.show!(flow);
    const saved = flow.state.at?.step;
    if (!saved && asksForSignUp(flow)) return startSignUp(flow);
    const step = (saved && steps.find((candidate) => candidate.shows?.includes(saved))) || identifierStep;
    return step.show!(flow);
  };
}

/** The addresses that only take a POST, opened directly (copied from the address bar), lead to the current step. */
function postOnlyPaths(routes: StepRoute[]): string[] {
  const gettable = new Set(routes.filter((route) => route.method === 'get').map((route) => route.path));
  return [...new Set(routes.filter((route) => route.method === 'post' && !gettable.has(route.path)).map((route) => route.path))];
}

/**
 * Every page of a sign-in, `/interaction/:uid/...`: one middleware stack (no-store, error
 * recovery, CSRF) and one flow per request, read afresh from the interaction before any step acts.
 */
export function journeyRouter(deps: JourneyDeps, ownSteps: JourneyStepDefinition[] = journeySteps): Router {
  const steps = [...ownSteps, ...(deps.factorPolicy.steps ?? [])];
  const router = new Router({ prefix: '/interaction/:uid' });
  router.use(noStore);
  router.use(recoveryOnError(deps.provider));
  router.use(csrfProtection);

  const on = (route: Pick<StepRoute, 'handler' | 'lost'>) => async (ctx: Context) => {
    const { lost } = route;
    const flow = await loadFlow(ctx, deps).catch((error: unknown) => {
      if (lost) return undefined;
      throw error;
    });
    if (lost && (!flow || promptOf(flow) !== 'login')) return lost(ctx);
    await route.handler(flow!);
  };

  router.get('/', on({ handler: showCurrentStep(steps) }));
  const routes = steps.flatMap((step) => step.routes);
  for (const route of routes) router[route.method](route.path, on(route));
  router.get(postOnlyPaths(routes), on({ handler: (flow) => seeOther(flow.ctx, interactionUrls.signIn(flow.ref)) }));
  return router;
}
