import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { interactionUid } from '../http/forms.ts';
import { type InteractionRef, interactionUrls, refOf } from '../journey/urls.ts';
import { type ClientView, findClientView } from '../ui/client-view.ts';
import { type PageOptions, renderPage } from '../ui/views.ts';

/** The sign-in an account page was opened from (`interaction=<uid>`), while that sign-in still runs. */
export interface SignInReturn extends InteractionRef {
  /** Back into the sign-in, with the client_id every interaction URL carries. */
  url: string;
  /** The app being signed in to, for the page's logo and name. */
  client: ClientView | undefined;
}

declare module 'koa' {
  interface DefaultState {
    signInReturn?: SignInReturn;
  }
}

/**
 * Looks the interaction up by its uid (account pages live outside the interaction cookie's path).
 * An expired or unknown one gives nothing: a "continue signing in" link to it would be a dead end.
 */
export async function findSignInReturn(provider: Provider, uid: string | undefined): Promise<SignInReturn | undefined> {
  if (!uid) return undefined;
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) return undefined;
  const ref = refOf({ uid, params: interaction.params });
  return { ...ref, url: interactionUrls.signIn(ref), client: await findClientView(provider, ref.clientId) };
}

/**
 * For the account pages (sign-up, forgot password, the links mailed from them): finds the sign-in
 * named by `interaction` in the query or the posted form, so that every page, error pages
 * included, shows the app and leads back into its sign-in. Runs after the body parser.
 */
export function signInReturn(provider: () => Provider) {
  return async function signInReturnMiddleware(ctx: Context, next: Next): Promise<void> {
    const posted = (ctx.request.body as Record<string, unknown> | undefined)?.interaction;
    const found = await findSignInReturn(provider(), interactionUid.parse(ctx.method === 'POST' ? posted : ctx.query.interaction));
    if (found) ctx.state.signInReturn = found;
    try {
      await next();
    } catch (error) {
      if (found) ctx.state.errorPage = { client: found.client, action: { href: found.url, messageKey: 'interaction.continue' } };
      throw error;
    }
  };
}

/** Renders an account page with the sign-in it belongs to (`it.signIn`) and that sign-in's app (`it.client`). */
export function renderAccountPage(ctx: Context, template: string, data: Record<string, unknown> = {}, options: PageOptions = {}): void {
  const signIn = ctx.state.signInReturn;
  renderPage(ctx, template, { signIn, client: signIn?.client, ...data }, options);
}
