import type { Context } from 'koa';
import type { FederationError } from '../federation/federation-error.ts';
import type { EnabledSocialProvider } from '../federation/social/social-sign-in.ts';
import { interactionUrl } from '../oidc/interaction-url.ts';
import { hasMessage } from '../ui/i18n.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';
import type { InteractionDetails } from './interaction-flow.ts';

/** The sign-in page of this interaction, with extra query parameters. */
export function signInPageWith(details: InteractionDetails, params: Record<string, string> = {}): string {
  const url = new URL(interactionUrl(details.uid, details.params.client_id), 'http://relative.invalid');
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}

/**
 * A social sign-in that did not succeed. Cancelling at the provider is a choice, not a failure:
 * the person is back on the sign-in page, which says so. Anything else goes to a failure page of
 * its own (so that reloading it or switching its language works) naming the provider.
 */
export function redirectToSocialFailure(ctx: Context, details: InteractionDetails, error: FederationError, provider: EnabledSocialProvider): void {
  ctx.status = 303;
  if (error.code === 'federation.cancelled') {
    ctx.redirect(signInPageWith(details, { cancelled: provider.name }));
    return;
  }
  const query = new URLSearchParams({ reason: error.code, connection: provider.connectionId });
  ctx.redirect(`/interaction/${encodeURIComponent(details.uid)}/federated/failed?${query}`);
}

/** The failure page: the reason (only a known one; anything else reads as a generic failure) and the way back to the sign-in page. */
export function showSocialFailure(ctx: Context, details: InteractionDetails, provider: EnabledSocialProvider, reason: unknown): void {
  const known = typeof reason === 'string' && hasMessage(`social.error.${reason}`);
  renderPage(
    ctx,
    'social/failed',
    {
      provider: provider.displayName,
      messageKey: known ? `social.error.${reason}` : 'social.error.generic',
      backUrl: signInPageWith(details),
      requestId: ctx.state.requestId,
    },
    { status: reason === 'federation.upstream_unreachable' ? 502 : 400, locale: localeFor(ctx, details.params.ui_locales) },
  );
}
