import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionServices } from './interaction-flow.ts';
import { pendingLinkOf } from './pending-link.ts';

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the sign-in page shows of social sign-in: a message, if any, and the buttons of the enabled providers. */
export interface SocialSignInView {
  action: string;
  forgetLinkAction: string;
  providers: Array<{ name: string; displayName: string }>;
  notice?: { messageKey: string; params: Record<string, string>; canForget: boolean };
  /** For an identity without a verified email: the form that mails a confirmation link instead. */
  confirm?: { action: string; email: string; error?: string | undefined };
}

export function socialSignInView(ctx: Context, services: InteractionServices, details: InteractionDetails): SocialSignInView {
  const base = `/interaction/${encodeURIComponent(details.uid)}/social`;
  const view: SocialSignInView = {
    action: base,
    forgetLinkAction: `${base}/forget-link`,
    providers: services.socialSignIn.providers.map(({ name, displayName }) => ({ name, displayName })),
  };
  const pending = pendingLinkOf(details);
  const waiting = pending && services.socialSignIn.byConnectionId(pending.connectionId);
  if (pending && waiting) {
    view.notice = { messageKey: `social.link.${pending.reason}`, params: { provider: waiting.displayName, email: pending.email ?? '' }, canForget: true };
    if (pending.reason === 'email_unverified') {
      const error = ctx.query.confirm_error === 'email_invalid' ? 'identifier.email_invalid' : undefined;
      view.confirm = { action: `${base}/confirm-email/send`, email: pending.confirmation?.email ?? pending.email ?? '', error };
    }
    return view;
  }
  // Back from the provider's page where the person cancelled (a message only: nothing is trusted from the query).
  const cancelled = typeof ctx.query.cancelled === 'string' ? services.socialSignIn.byName(ctx.query.cancelled) : undefined;
  if (cancelled) view.notice = { messageKey: 'social.cancelled', params: { provider: cancelled.displayName }, canForget: false };
  return view;
}
