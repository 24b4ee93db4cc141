import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { z } from 'zod';
import type { AttemptLimiter } from '../abuse/attempt-limiter.ts';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { AccountService } from '../accounts/account.service.ts';
import type { ConsentRepository } from '../consents/consent.repository.ts';
import type { FederationService } from '../federation/federation.service.ts';
import type { SocialEmailConfirmation } from '../federation/social/email-confirmation.ts';
import type { SocialAccountLinking } from '../federation/social/social-linking.ts';
import type { SocialSignIn } from '../federation/social/social-sign-in.ts';
import type { HomeRealmDiscovery } from '../hrd/home-realm-discovery.ts';
import type { SsoEnforcement } from '../hrd/sso-enforcement.ts';
import { AppError, BadRequestError } from '../http/errors.ts';
import { interactionUrl } from '../oidc/interaction-url.ts';
import { type ClientView, findClientView } from '../ui/client-view.ts';
import type { Locale } from '../ui/i18n.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import { pendingLinkOf } from './pending-link.ts';
import { type SignInState, type SignInStep, signInStateOf } from './sign-in-state.ts';

/** What the sign-in steps use, handed over by the composition root (app.ts). */
export interface InteractionServices {
  accounts: AccountRepository;
  accountService: AccountService;
  consents: ConsentRepository;
  homeRealmDiscovery: HomeRealmDiscovery;
  ssoEnforcement: SsoEnforcement;
  federation: FederationService;
  socialSignIn: SocialSignIn;
  socialLinking: SocialAccountLinking;
  socialEmailConfirmation: SocialEmailConfirmation;
  loginLimiter: AttemptLimiter;
  signUpLimiter: AttemptLimiter;
}

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** One request on one interaction: what every step works with. */
export interface InteractionFlow {
  ctx: Context;
  services: InteractionServices;
  provider: Provider;
  details: InteractionDetails;
  state: SignInState | undefined;
  client: ClientView | undefined;
  locale: Locale;
}

/** Reads the interaction afresh (never trusting what the page that posted believed). */
export async function loadFlow(ctx: Context, services: InteractionServices, provider: Provider): Promise<InteractionFlow> {
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
