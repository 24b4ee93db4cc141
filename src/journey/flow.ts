import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { z } from 'zod';
import type { AttemptLimiter } from '../abuse/attempt-limiter.ts';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { AccountService } from '../accounts/account.service.ts';
import type { SignInAudit } from '../audit/sign-in-audit.ts';
import type { Consent } from '../consents/consent.ts';
import type { FactorConfirmation } from '../factors/factor-confirmation.ts';
import type { PasskeyService } from '../factors/passkey.service.ts';
import type { FederationService } from '../federation/federation.service.ts';
import type { PendingLink } from '../federation/linking-policy.ts';
import type { SocialEmailConfirmation } from '../federation/social/email-confirmation.ts';
import type { SocialAccountLinking } from '../federation/social/social-linking.ts';
import type { SocialSignIn } from '../federation/social/social-sign-in.ts';
import type { HomeRealmDiscovery } from '../hrd/home-realm-discovery.ts';
import type { SsoEnforcement } from '../hrd/sso-enforcement.ts';
import { AppError, BadRequestError } from '../http/errors.ts';
import type { SignInMetrics } from '../metrics/service-metrics.ts';
import { type ClientView, findClientView } from '../ui/client-view.ts';
import type { Locale } from '../ui/i18n.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import type { FactorPolicy } from './factor-policy.ts';
import { type JourneyState, type JourneyStep, journeyResultKey, journeyStateOf, type StepName } from './state.ts';
import { type InteractionRef, interactionUrls, refOf } from './urls.ts';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Exactly what the sign-in journey uses of the services, built in app.ts. */
export interface JourneyDeps {
  provider: () => Provider;
  homeRealmDiscovery: HomeRealmDiscovery;
  accounts: Pick<AccountRepository, 'findById'>;
  accountService: Pick<AccountService, 'authenticateWithPassword'>;
  loginLimiter: Pick<AttemptLimiter, 'attempt'>;
  signUpLimiter: Pick<AttemptLimiter, 'consume'>;
  ssoEnforcement: Pick<SsoEnforcement, 'forEmailDomain' | 'forAccount'>;
  /** Remembers what the account allowed the app (in its own transaction). */
  consents: { record(accountId: string, clientId: string, consent: Consent): Promise<void> };
  federation: Pick<FederationService, 'start' | 'finish'>;
  socialSignIn: Pick<SocialSignIn, 'providers' | 'byConnectionId' | 'byName'>;
  socialLinking: Pick<SocialAccountLinking, 'link'>;
  socialEmailConfirmation: Pick<SocialEmailConfirmation, 'send' | 'check' | 'confirm' | 'lifetimeHours'>;
  /** Counts sign-ins by method and outcome (the metrics endpoint). */
  signInMetrics: SignInMetrics;
  /** Sign-in events in the audit log of the account's organizations. */
  signInAudit: Pick<SignInAudit, 'succeeded' | 'failed'>;
  /** What a sign-in still needs once the person is known (a second factor...): complete.ts. */
  factorPolicy: JourneyFactorPolicy;
  /** Passkey ceremonies: sign-in without an account named (no allowCredentials), confirmation of a known one. */
  passkeys: Pick<PasskeyService, 'authenticationOptions' | 'authenticate'>;
  /** Checks a second factor or a mailed device code, wrong ones counted per account and per IP. */
  factorConfirmation: Pick<FactorConfirmation, 'confirm'>;
  /** The browsers an account signed in from ("trust this device"), and the codes mailed to a new one. */
  devices: {
    /** Also mails a "new sign-in" notice (in `locale` unless the account has its own) from a browser the account never used. */
    remember(accountId: string, deviceToken: string, userAgent: string, trust: boolean, locale?: Locale): Promise<void>;
    sendCode(accountId: string, deviceToken: string, locale: Locale): Promise<void>;
  };
}

/**
 * The factor policy, with the steps it sends sign-ins to, built where the policy is, with the
 * services they call: the journey mounts them beside its own, so a new step needs no member here.
 */
export interface JourneyFactorPolicy extends FactorPolicy {
  steps?: JourneyStepDefinition[];
}

/** One request on one interaction: what every step works with. */
export interface JourneyFlow {
  ctx: Context;
  deps: JourneyDeps;
  provider: Provider;
  details: InteractionDetails;
  /** The interaction's uid and app, for every URL of the journey (urls.ts). */
  ref: InteractionRef;
  state: JourneyState;
  client: ClientView | undefined;
  locale: Locale;
}

/**
 * Reads the interaction afresh (never trusting what the page that posted believed). The
 * interaction cookie is scoped to its own URL, so a mismatch only catches hand-made URLs.
 */
export async function loadFlow(ctx: Context, deps: JourneyDeps): Promise<JourneyFlow> {
  const provider = deps.provider();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== ctx.params.uid) throw new AppError('interaction.expired', 400);
  return {
    ctx,
    deps,
    provider,
    details,
    ref: refOf(details),
    state: journeyStateOf(details.result),
    client: await findClientView(provider, details.params.client_id),
    locale: localeFor(ctx, details.params.ui_locales),
  };
}

/**
 * The prompt the interaction is at. `create` (prompt=create, with a session already) is a sign-in
 * like `login`: the sign-up page, or any other way in, resolves it (completeSignIn).
 */
export function promptOf(flow: Pick<JourneyFlow, 'details'>): string {
  const { name } = flow.details.prompt;
  return name === 'create' ? 'login' : name;
}

/** prompt=create (OpenID Connect Prompt Create 1.0): the app asked for the sign-up page. */
export function asksForSignUp(flow: Pick<JourneyFlow, 'details'>): boolean {
  const { prompt } = flow.details.params;
  return typeof prompt === 'string' && prompt.split(' ').includes('create');
}

export function expectPrompt(flow: JourneyFlow, prompt: 'login' | 'consent'): void {
  if (promptOf(flow) !== prompt) throw new BadRequestError('interaction.wrong_step');
}

/** Checks that the sign-in is at `step` and returns that step's saved data, typed. */
export function expectStep<S extends StepName>(flow: JourneyFlow, step: S): Extract<JourneyStep, { step: S }> {
  expectPrompt(flow, 'login');
  if (flow.state.at?.step !== step) throw new BadRequestError('interaction.wrong_step');
  return flow.state.at as Extract<JourneyStep, { step: S }>;
}

export function parseForm<T extends z.ZodType>(flow: JourneyFlow, schema: T): z.infer<T> {
  const parsed = schema.safeParse(flow.ctx.request.body ?? {});
  if (!parsed.success) throw new BadRequestError('http.bad_request');
  return parsed.data;
}

/** Post/redirect/get: every successful POST answers with a 303 to the next page. */
export function seeOther(ctx: Context, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}

/** Saves the state, changed by `change`; an identity waiting to be linked stays unless `change` says otherwise. */
export async function saveState(flow: JourneyFlow, change: Partial<JourneyState>): Promise<void> {
  const state: JourneyState = { ...flow.state, ...change };
  await saveInteractionResult(flow, { [journeyResultKey]: state }, { mergeWithLastSubmission: true });
  flow.state = state;
}

/**
 * What provider.interactionResult does, on the interaction this request has already read:
 * interactionResult would read it from the database again (one query more on every POST).
 */
async function saveInteractionResult(flow: JourneyFlow, result: InteractionResults, options: { mergeWithLastSubmission: boolean }): Promise<string> {
  const interaction = flow.details;
  interaction.result = options.mergeWithLastSubmission && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return interaction.returnTo;
}

export function saveStep(flow: JourneyFlow, at: JourneyStep): Promise<void> {
  return saveState(flow, { at });
}

/**
 * Keeps an identity to link once the person has signed in (null forgets it). When its verified
 * email already has an account, the sign-in goes on at that account's password step.
 */
export function savePendingLink(flow: JourneyFlow, link: PendingLink | null): Promise<void> {
  const at: JourneyStep | undefined = link?.reason === 'email_in_use' && link.email ? { step: 'password', email: link.email } : flow.state.at;
  return saveState(flow, { at, pendingLink: link ?? undefined });
}

/** Hands the result to oidc-provider and sends the browser on to resume the authorization. */
export async function finishInteraction(flow: JourneyFlow, result: InteractionResults, options: { mergeWithLastSubmission: boolean }): Promise<void> {
  seeOther(flow.ctx, await saveInteractionResult(flow, result, options));
}

export interface StepPageOptions {
  /** The step's own GET address, for language links on POST answers (default: the sign-in page). */
  page?: string;
  status?: number;
}

/** Renders a step's page with the app's name and logo, in the interaction's language. */
export function renderStep(flow: JourneyFlow, template: string, data: Record<string, unknown>, options: StepPageOptions = {}): void {
  const pageUrl = options.page ? interactionUrls.step(flow.ref, options.page) : interactionUrls.signIn(flow.ref);
  renderPage(flow.ctx, template, { client: flow.client, pageUrl, ...data }, { locale: flow.locale, status: options.status ?? 200 });
}

/** Renders a page of the journey that is not a step (failure, mail sent, auto-post) in the interaction's language. */
export function renderJourneyPage(flow: JourneyFlow, template: string, data: Record<string, unknown>, status = 200): void {
  renderPage(flow.ctx, template, data, { locale: flow.locale, status });
}

/** A step's handlers: one request each, on a flow loaded (and its interaction checked) by the journey router. */
export type StepHandler = (flow: JourneyFlow) => Promise<void> | void;

export interface StepRoute {
  method: 'get' | 'post';
  /** Relative to /interaction/:uid. */
  path: string;
  handler: StepHandler;
  /** What the route answers when this browser has no such interaction at its login prompt (a mailed link opened elsewhere); default: the error page. */
  lost?: (ctx: Context) => void;
}

/** One step of the journey: its routes and, for a step saved in the state, the page GET /interaction/:uid shows. */
export interface JourneyStepDefinition {
  routes: StepRoute[];
  /** The saved steps (state.ts) whose page this step shows. */
  shows?: StepName[];
  show?: StepHandler;
  /** What the step does when the factor policy sends a sign-in to it (mail a code, say), before the browser gets there. */
  enter?: (flow: JourneyFlow, at: JourneyStep) => Promise<void>;
}
