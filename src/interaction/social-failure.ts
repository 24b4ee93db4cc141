import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { FederationError } from '../federation/federation-error.ts';
import type { EnabledSocialProvider } from '../federation/social/social-sign-in.ts';
import { hasMessage } from '../ui/i18n.ts';
import { localeFor } from '../ui/locale.ts';
import { renderPage } from '../ui/views.ts';

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * A social sign-in that did not succeed. Cancelling at the provider is a choice, not a failure:
 * the person is back on the sign-in page, which says so. Anything else gets a page naming the
 * provider, with the way back to the sign-in page.
 */
export function socialFailure(ctx: Context, details: InteractionDetails, error: FederationError, provider: EnabledSocialProvider): void {
  const signInUrl = `/interaction/${encodeURIComponent(details.uid)}`;
  if (error.code === 'federation.cancelled') {
    ctx.status = 303;
    ctx.redirect(`${signInUrl}?cancelled=${encodeURIComponent(provider.name)}`);
    return;
  }
  const messageKey = hasMessage(`social.error.${error.code}`) ? `social.error.${error.code}` : 'social.error.generic';
  renderPage(
    ctx,
    'social/failed',
    { provider: provider.displayName, messageKey, backUrl: signInUrl, requestId: ctx.state.requestId },
    { status: error.status, locale: localeFor(ctx, details.params.ui_locales) },
  );
}
