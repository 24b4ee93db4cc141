import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { z } from 'zod';
import { AppError, BadRequestError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import { type ClientView, findClientView } from '../ui/client-view.ts';
import type { Locale } from '../ui/i18n.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import { interactionUrl } from './interaction-url.ts';
import { pendingLinkOf } from './pending-link.ts';
import { type SignInState, type SignInStep, signInStateOf } from './sign-in-state.ts';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** One request on one interaction: what every step works with. */
export interface InteractionFlow {
  ctx: Context;
  services: Services;
  provider: Provider;
  details: InteractionDetails;
  state: SignInState | undefined;
  client: ClientView | undefined;
  locale: Locale;
}

/** Reads the interaction afresh (never trusting what the page that posted believed). */
export async function loadFlow(ctx: Context, services: Services, provider: Provider): Promise<InteractionFlow> {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  // The interaction cookie is scoped to its own URL, so this only catches hand-made URLs.
  if (details.uid !== ctx.params.uid) throw new AppError('interaction.expired', 400);
  return {
    ctx,
    services,
    provider,
    details,
    state: signInStateOf(details),
    client: await findClientView(provider, details.params.client_id),
    locale: localeFor(ctx, details.params.ui_locales),
  };
}

export function stepUrl(flow: InteractionFlow, step = ''): string {
  return interactionUrl(flow.details.uid, flow.details.params.client_id, step);
}

export function expectPrompt(flow: InteractionFlow, prompt: 'login' | 'consent'): void {
  if (flow.details.prompt.name !== prompt) throw new BadRequestError('interaction.wrong_step');
}

/** Checks that the sign-in is at `step` and returns its state, typed for that step. */
export function expectStep<S extends SignInStep>(flow: InteractionFlow, step: S): Extract<SignInState, { step: S }> {
  expectPrompt(flow, 'login');
  if (flow.state?.step !== step) throw new BadRequestError('interaction.wrong_step');
  return flow.state as Extract<SignInState, { step: S }>;
}

export function parseForm<T extends z.ZodType>(flow: InteractionFlow, schema: T): z.infer<T> {
  const parsed = schema.safeParse(flow.ctx.request.body ?? {});
  if (!parsed.success) throw new BadRequestError('http.bad_request');
  return parsed.data;
}

/** Post/redirect/get: every successful POST answers with a 303 to the next page. */
export function seeOther(ctx: Context, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}

export async function saveSignInState(flow: InteractionFlow, state: SignInState): Promise<void> {
  // An identity waiting to be linked (pending-link.ts) stays with the sign-in whichever step it moves to.
  const pendingLink = pendingLinkOf(flow.details);
  await flow.provider.interactionResult(flow.ctx.req, flow.ctx.res, { ...state, ...(pendingLink ? { pendingLink } : {}) }, { mergeWithLastSubmission: true });
  flow.state = state;
}

/** Hands the result to oidc-provider and sends the browser on to resume the authorization. */
export async function finishInteraction(flow: InteractionFlow, result: InteractionResults, options: { mergeWithLastSubmission: boolean }): Promise<void> {
  const returnTo = await flow.provider.interactionResult(flow.ctx.req, flow.ctx.res, result, options);
  seeOther(flow.ctx, returnTo);
}

export interface StepPageOptions {
  /** The step's own GET address (relative to the interaction), for language links on POST answers. */
  page?: string;
  status?: number;
}

/** Renders a step's page with the app's name and logo, in the interaction's language. */
export function renderStep(flow: InteractionFlow, template: string, data: Record<string, unknown>, options: StepPageOptions = {}): void {
  renderPage(
    flow.ctx,
    template,
    { client: flow.client, pageUrl: stepUrl(flow, options.page), ...data },
    { locale: flow.locale, status: options.status ?? 200 },
  );
}
