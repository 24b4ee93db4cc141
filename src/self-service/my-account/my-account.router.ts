import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { PasswordRejectedError } from '../../accounts/password-policy.ts';
import { describeScopes } from '../../consents/scope-description.ts';
import { randomId } from '../../crypto/random-id.ts';
import type { FederationService } from '../../federation/federation.service.ts';
import { FederationError } from '../../federation/federation-error.ts';
import type { SocialAccountLinking } from '../../federation/social/social-linking.ts';
import type { SocialSignIn } from '../../federation/social/social-sign-in.ts';
import { BadRequestError, NotFoundError } from '../../http/errors.ts';
import { formProtection, parseForm } from '../../http/forms.ts';
import { accountClientId, accountSignedInPath } from '../../oidc/account-client.ts';
import { hasMessage } from '../../ui/i18n.ts';
import { renderPage } from '../../ui/views.ts';
import { type AccountOverview, CurrentPasswordWrongError, LastSignInMethodError, type MyAccountService } from './my-account.service.ts';

const linkCookie = 'account_link';
const linkCookieOptions = { signed: true, httpOnly: true, sameSite: 'lax' as const, path: '/account', overwrite: true };
const linkTtlMs = 10 * 60 * 1000;

const passwordForm = z.object({ current_password: z.string().max(1024), new_password: z.string().max(1024) });
const providerForm = z.object({ provider: z.string().max(32) });
const unlinkForm = z.object({ connection: z.string().max(64) });
const removeAppForm = z.object({ client: z.string().max(256) });

type PasswordErrors = Partial<Record<'current_password' | 'new_password', string>>;

/**
 * "My account" at /account, for the person signed in to this browser (oidc-provider's session):
 * profile, ways to sign in (link a social provider, unlink one unless it is the last way in),
 * third-party apps allowed (remove access), password change and sign out everywhere. A signed-out visitor is sent through the ordinary sign-in (account-client.ts).
 */
export interface MyAccountRouterDependencies {
  issuer: string;
  myAccount: MyAccountService;
  socialSignIn: SocialSignIn;
  socialLinking: SocialAccountLinking;
  federation: FederationService;
  /** Whether the account holds an admin role: My account then leads to the admin center. */
  isAdministrator(accountId: string): Promise<boolean>;
}

export function myAccountRouter(
  { issuer, myAccount, socialSignIn, socialLinking, federation, isAdministrator }: MyAccountRouterDependencies,
  provider: () => Provider,
): Router {
  const router = new Router({ prefix: '/account' });
  router.use(...formProtection);

  const signedInAccountId = async (ctx: Context): Promise<string | undefined> => (await provider().Session.get(ctx)).accountId;

  const goSignIn = (ctx: Context) => {
    const query = new URLSearchParams({
      client_id: accountClientId,
      response_type: 'none',
      scope: 'openid',
      redirect_uri: `${issuer}${accountSignedInPath}`,
      ui_locales: ctx.state.locale,
    });
    ctx.redirect(`/auth?${query}`);
  };

  /** The signed-in person's account, or undefined after sending the browser to sign in. */
  const signedIn = async (ctx: Context): Promise<AccountOverview | undefined> => {
    const accountId = await signedInAccountId(ctx);
    const overview = accountId ? await myAccount.overview(accountId) : undefined;
    if (!overview) goSignIn(ctx);
    return overview;
  };

  const show = async (ctx: Context, overview: AccountOverview, view: { passwordErrors?: PasswordErrors; status?: number } = {}) => {
    const notice = typeof ctx.query.notice === 'string' && hasMessage(`account.notice.${ctx.query.notice}`) ? ctx.query.notice : undefined;
    const provider = typeof ctx.query.provider === 'string' ? socialSignIn.byName(ctx.query.provider)?.displayName : undefined;
    const dates = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'long' });
    renderPage(
      ctx,
      'account/account',
      {
        ...overview,
        linked: overview.linked.map((method) => ({
          ...method,
          linkedOn: dates.format(method.linkedAt),
          social: socialSignIn.byConnectionId(method.connectionId)?.name,
        })),
        allowedApps: overview.allowedApps.map((app) => ({ ...app, allowedOn: dates.format(app.grantedAt), permissions: describeScopes(app.scopes) })),
        notice: notice && { messageKey: `account.notice.${notice}`, params: { provider: provider ?? '' } },
        passwordErrors: view.passwordErrors ?? {},
        adminCenter: await isAdministrator(overview.account.id),
      },
      { status: view.status ?? 200 },
    );
  };

  const backToAccount = (ctx: Context, notice: string, providerName?: string) => {
    ctx.status = 303;
    ctx.redirect(`/account?${new URLSearchParams({ notice, ...(providerName ? { provider: providerName } : {}) })}`);
  };

  router.get('/', async (ctx) => {
    const overview = await signedIn(ctx);
    if (overview) await show(ctx, overview);
  });

  // Where the account client's sign-in comes back: nothing to read or trust here (response_type=none), the sign-in wrote the session.
  router.get('/signed-in', (ctx) => {
    if (typeof ctx.query.error === 'string') {
      renderPage(ctx, 'account/not-signed-in', {}, { status: 400 });
      return;
    }
    ctx.status = 303;
    ctx.redirect('/account');
  });

  router.post('/password', async (ctx) => {
    const overview = await signedIn(ctx);
    if (!overview) return;
    const form = parseForm(passwordForm, ctx.request.body);
    try {
      await myAccount.changePassword(overview.account, ctx.ip, form.current_password, form.new_password);
    } catch (error) {
      if (error instanceof PasswordRejectedError) return show(ctx, overview, { passwordErrors: { new_password: `error.${error.code}` }, status: 400 });
      if (error instanceof CurrentPasswordWrongError) return show(ctx, overview, { passwordErrors: { current_password: `error.${error.code}` }, status: 400 });
      throw error;
    }
    renderPage(ctx, 'account/password-changed', {});
  });

  router.post('/unlink', async (ctx) => {
    const overview = await signedIn(ctx);
    if (!overview) return;
    const { connection } = parseForm(unlinkForm, ctx.request.body);
    try {
      await myAccount.unlink(overview.account.id, connection);
    } catch (error) {
      if (error instanceof LastSignInMethodError) return backToAccount(ctx, 'last_sign_in_method');
      throw error;
    }
    backToAccount(ctx, 'unlinked', socialSignIn.byConnectionId(connection)?.name);
  });

  // Removing an app's access forgets the consent and revokes its tokens: it must ask again.
  router.post('/apps/remove', async (ctx) => {
    const overview = await signedIn(ctx);
    if (!overview) return;
    const { client } = parseForm(removeAppForm, ctx.request.body);
    await myAccount.removeAppAccess(overview.account.id, client);
    backToAccount(ctx, 'access_removed');
  });

  // Sign out everywhere asks first: it ends this browser's session too.
  router.get('/sign-out-everywhere', async (ctx) => {
    if (await signedIn(ctx)) renderPage(ctx, 'account/sign-out-everywhere', {});
  });

  router.post('/sign-out-everywhere', async (ctx) => {
    const overview = await signedIn(ctx);
    if (!overview) return;
    await myAccount.signOutEverywhere(overview.account.id);
    renderPage(ctx, 'account/signed-out-everywhere', {});
  });

  // Linking: the provider's answer comes back (through /federation/<connection>/callback) to /account/linked,
  // for this browser only (the flow id is in a signed cookie) and for the account that started it.
  router.post('/link', async (ctx) => {
    const overview = await signedIn(ctx);
    if (!overview) return;
    const social = socialSignIn.byName(parseForm(providerForm, ctx.request.body).provider);
    if (!social) throw new NotFoundError('federation.connection_not_found');
    const flowId = randomId();
    try {
      const next = await federation.start(social.connectionId, { uid: flowId, loginHint: undefined, returnTo: 'account' });
      ctx.cookies.set(linkCookie, `${flowId}.${overview.account.id}`, { ...linkCookieOptions, maxAge: linkTtlMs });
      ctx.status = 303;
      ctx.redirect(next.url);
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      backToAccount(ctx, 'link_failed', social.name);
    }
  });

  router.get('/linked', async (ctx) => {
    const overview = await signedIn(ctx);
    if (!overview) return;
    const [flowId, accountId] = (ctx.cookies.get(linkCookie, { signed: true }) ?? '').split('.');
    ctx.cookies.set(linkCookie, null, linkCookieOptions);
    if (!flowId || accountId !== overview.account.id) throw new BadRequestError('account.link_expired');
    let connectionId: string | undefined;
    try {
      const answer = await federation.takeAnswer(flowId, typeof ctx.query.callback === 'string' ? ctx.query.callback : '');
      connectionId = answer.connection.id;
      if (answer.state.returnTo !== 'account' || answer.connection.kind !== 'social') throw new FederationError('federation.state_invalid');
      await socialLinking.link({ connectionId, subject: answer.profile.subject, email: answer.profile.email }, overview.account.id);
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      const name = socialSignIn.byConnectionId(connectionId ?? error.connectionId)?.name;
      const notice = hasMessage(`account.notice.${error.code}`) ? error.code : 'link_failed';
      return backToAccount(ctx, notice, name);
    }
    backToAccount(ctx, 'linked', socialSignIn.byConnectionId(connectionId)?.name);
  });

  return router;
}
