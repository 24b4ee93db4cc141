import { z } from 'zod';
import { emailSchema } from '../../accounts/email.ts';
import { LinkInvalidError } from '../../accounts/link-token.repository.ts';
import { FederationError, failureStatus, SignInCancelledError } from '../../federation/federation-error.ts';
import type { EnabledSocialProvider } from '../../federation/social/social-sign-in.ts';
import { isErrorCode } from '../../http/error-codes.ts';
import { BadRequestError, NotFoundError } from '../../http/errors.ts';
import { hasMessage } from '../../ui/i18n.ts';
import { renderPage } from '../../ui/views.ts';
import { completeSignIn } from '../complete.ts';
import { expectPrompt, type JourneyFlow, type JourneyStepDefinition, parseForm, renderJourneyPage, savePendingLink, seeOther } from '../flow.ts';
import { interactionUrls } from '../urls.ts';

const startForm = z.object({ provider: z.string().max(32), remember: z.literal('on').optional() });
const confirmForm = z.object({ email: z.string().max(1024).catch('') });
const tokenForm = z.object({ token: z.string().max(200).catch('') });

/** What the sign-in page shows of social sign-in: a message, if any, and the buttons of the enabled providers. */
export interface SocialSignInView {
  action: string;
  forgetLinkAction: string;
  providers: Array<{ name: string; displayName: string }>;
  notice?: { messageKey: string; params: Record<string, string>; canForget: boolean };
  /** For an identity without a verified email: the form that mails a confirmation link instead. */
  confirm?: { action: string; email: string; error?: string | undefined };
}

export function socialSignInView(flow: JourneyFlow): SocialSignInView {
  const { socialSignIn } = flow.deps;
  const { query } = flow.ctx;
  const view: SocialSignInView = {
    action: interactionUrls.social(flow.ref),
    forgetLinkAction: interactionUrls.social(flow.ref, 'forget-link'),
    providers: socialSignIn.providers.map(({ name, displayName }) => ({ name, displayName })),
  };
  const pending = flow.state.pendingLink;
  const waiting = pending && socialSignIn.byConnectionId(pending.connectionId);
  if (pending && waiting) {
    view.notice = { messageKey: `social.link.${pending.reason}`, params: { provider: waiting.displayName, email: pending.email ?? '' }, canForget: true };
    if (pending.reason === 'email_unverified') {
      const error = query.confirm_error === 'email_invalid' ? 'identifier.email_invalid' : undefined;
      view.confirm = { action: interactionUrls.social(flow.ref, 'confirm-email/send'), email: pending.confirmation?.email ?? pending.email ?? '', error };
    }
    return view;
  }
  // Back from the provider's page where the person cancelled (a message only: nothing is trusted from the query).
  const cancelled = typeof query.cancelled === 'string' ? socialSignIn.byName(query.cancelled) : undefined;
  if (cancelled) view.notice = { messageKey: 'social.cancelled', params: { provider: cancelled.displayName }, canForget: false };
  return view;
}

/**
 * A social sign-in that did not succeed. Cancelling at the provider is a choice, not a failure:
 * the person is back on the sign-in page, which says so. Anything else goes to a failure page of
 * its own (so that reloading it or switching its language works) naming the provider.
 */
export function redirectToSocialFailure(flow: JourneyFlow, error: FederationError, provider: EnabledSocialProvider): void {
  seeOther(
    flow.ctx,
    error instanceof SignInCancelledError
      ? interactionUrls.signIn(flow.ref, { cancelled: provider.name })
      : interactionUrls.federatedFailed(flow.ref, error.code, provider.connectionId),
  );
}

/** The failure page: the reason (only a known one; anything else reads as a generic failure) and the way back to the sign-in page. */
export function showSocialFailure(flow: JourneyFlow, provider: EnabledSocialProvider, reason: unknown): void {
  const known = typeof reason === 'string' && hasMessage(`social.error.${reason}`);
  renderJourneyPage(
    flow,
    'social/failed',
    {
      provider: provider.displayName,
      messageKey: known ? `social.error.${reason}` : 'social.error.generic',
      backUrl: interactionUrls.signIn(flow.ref),
      requestId: flow.ctx.state.requestId,
    },
    isErrorCode(reason) ? failureStatus(reason) : 400,
  );
}

/** A social button: off to the chosen provider (the answer comes back through /federation/social-<name>/callback and the federated resume). */
async function start(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const form = parseForm(flow, startForm);
  const social = flow.deps.socialSignIn.byName(form.provider);
  if (!social) throw new NotFoundError('federation.connection_not_found');
  try {
    const next = await flow.deps.federation.start(social.connectionId, {
      uid: flow.ref.uid,
      appClientId: flow.details.params.client_id,
      loginHint: undefined,
      remember: form.remember === 'on',
    });
    seeOther(flow.ctx, next.url);
  } catch (error) {
    if (!(error instanceof FederationError)) throw error;
    redirectToSocialFailure(flow, error, social);
  }
}

/** Confirming an address by link, for an identity whose provider did not verify its email. */
async function sendConfirmation(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const pending = flow.state.pendingLink;
  const social = pending && flow.deps.socialSignIn.byConnectionId(pending.connectionId);
  if (pending?.reason !== 'email_unverified' || !social) throw new BadRequestError('interaction.wrong_step');
  const email = emailSchema.safeParse(parseForm(flow, confirmForm).email);
  if (!email.success) return seeOther(flow.ctx, interactionUrls.signIn(flow.ref, { confirm_error: 'email_invalid' }));
  const { signUpLimiter, socialEmailConfirmation } = flow.deps;
  // Each link is a mail sent: counted like a sign-up.
  await signUpLimiter.consume(email.data, flow.ctx.ip);
  const link = await socialEmailConfirmation.send(pending, email.data, {
    linkPath: interactionUrls.socialConfirmEmail(flow.ref),
    provider: social.displayName,
    locale: flow.locale,
  });
  await savePendingLink(flow, link);
  renderJourneyPage(flow, 'recovery/check-email', {
    titleKey: 'social.confirm.check_email_title',
    messageKey: 'social.confirm.check_email',
    messageParams: { email: email.data, provider: social.displayName, hours: socialEmailConfirmation.lifetimeHours },
    helpUrl: `/help/email-not-received?${new URLSearchParams({ interaction: flow.ref.uid })}`,
  });
}

/** A confirmation link that is unknown, expired or superseded: one page saying so, and the way back to the sign-in. */
async function withValidConfirmation(flow: JourneyFlow, page: () => Promise<void> | void): Promise<void> {
  try {
    await page();
  } catch (error) {
    if (!(error instanceof LinkInvalidError)) throw error;
    renderJourneyPage(flow, 'recovery/link-invalid', { retryUrl: interactionUrls.signIn(flow.ref), retryKey: 'social.back_to_sign_in' }, 400);
  }
}

/** The mailed link opens a page with a button: mail scanners that open links confirm nothing. */
async function showConfirmation(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const { token } = tokenForm.parse(flow.ctx.query);
  await withValidConfirmation(flow, () => {
    const { link, email } = flow.deps.socialEmailConfirmation.check(flow.state.pendingLink, token);
    const social = flow.deps.socialSignIn.byConnectionId(link.connectionId);
    renderJourneyPage(flow, 'social/confirm-email', {
      action: interactionUrls.socialConfirmEmail(flow.ref),
      token,
      email,
      provider: social?.displayName ?? '',
    });
  });
}

async function confirm(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const pending = flow.state.pendingLink;
  const { token } = tokenForm.parse(flow.ctx.request.body ?? {});
  await withValidConfirmation(flow, async () => {
    const social = flow.deps.socialSignIn.byConnectionId(pending?.connectionId);
    try {
      // Links the identity to the confirmed address's account (completeSignIn's link then finds it done).
      const account = await flow.deps.socialEmailConfirmation.confirm(pending, token);
      await completeSignIn(flow, account, { kind: 'social_email', amr: ['fed'], remember: pending?.remember, connectionId: pending?.connectionId });
    } catch (error) {
      if (!(error instanceof FederationError) || !social) throw error;
      redirectToSocialFailure(flow, error, social);
    }
  });
}

/** The person would rather not link the identity waiting to be linked. */
async function forgetLink(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  await savePendingLink(flow, null);
  seeOther(flow.ctx, interactionUrls.signIn(flow.ref));
}

/** The mailed confirmation link opened in another browser (no interaction cookie), or after the sign-in ended. */
const otherBrowser = (ctx: Parameters<typeof renderPage>[0]) =>
  renderPage(ctx, 'recovery/link-invalid', { retryKey: 'social.confirm.other_browser' }, { status: 400 });

/** The social buttons of the sign-in page, and the pending link they may leave (forget it, or confirm its email by link). */
export const socialStep: JourneyStepDefinition = {
  routes: [
    { method: 'post', path: '/social', handler: start },
    { method: 'post', path: '/social/confirm-email/send', handler: sendConfirmation },
    { method: 'get', path: '/social/confirm-email', handler: showConfirmation, lost: otherBrowser },
    { method: 'post', path: '/social/confirm-email', handler: confirm, lost: otherBrowser },
    { method: 'post', path: '/social/forget-link', handler: forgetLink },
  ],
};
