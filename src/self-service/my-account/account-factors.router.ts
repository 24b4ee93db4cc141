import Router from '@koa/router';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { TooManyAttemptsError } from '../../abuse/attempt-limiter.ts';
import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { AccountRow } from '../../db/schema.ts';
import { BadRequestError } from '../../http/errors.ts';
import { formProtection, parseForm } from '../../http/forms.ts';
import { hasMessage } from '../../ui/i18n.ts';
import { renderPage } from '../../ui/views.ts';
import { type AccountFactorsService, LastFactorRequiredError, type RemovableFactor } from './account-factors.service.ts';

const secretForm = z.object({
  secret: z.string().max(1024).optional(),
  challengeId: z.string().max(100).optional(),
  response: z.string().max(20_000).optional(),
});
const passkeyForm = z.object({ challengeId: z.string().min(1).max(100), response: z.string().min(2).max(20_000), name: z.string().trim().max(64).default('') });
const removePasskeyForm = z.object({ credential: z.string().min(1).max(1024) });

/** A WebAuthn response posted as JSON in a form field. */
function parseJson<T>(value: string): T {
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new BadRequestError('http.bad_request');
  }
}
const codeForm = z.object({ code: z.string().max(64) });

export interface AccountFactorsRouterDependencies {
  accountFactors: AccountFactorsService;
  accounts: Pick<AccountRepository, 'findById'>;
}

interface SignedIn {
  account: AccountRow;
  sessionUid: string;
}

/**
 * My account's "Ways to confirm it's you" at /account/factors (service: account-factors.service.ts).
 * Pages are no-store: recovery codes and the authenticator's key are shown once, to this browser.
 */
export function accountFactorsRouter({ accountFactors, accounts }: AccountFactorsRouterDependencies, provider: () => Provider): Router {
  const router = new Router({ prefix: '/account/factors' });
  router.use(...formProtection);
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  /** The signed-in account and its session, or undefined after sending a signed-out visitor to My account (which signs in). */
  const signedIn = async (ctx: Context): Promise<SignedIn | undefined> => {
    const session = await provider().Session.get(ctx);
    const account = session.accountId ? await accounts.findById(session.accountId) : undefined;
    if (account) return { account, sessionUid: session.uid };
    ctx.redirect('/account');
    return undefined;
  };

  const backToFactors = (ctx: Context, notice: string) => {
    ctx.status = 303;
    ctx.redirect(`/account/factors?${new URLSearchParams({ notice })}`);
  };

  const show = async (
    ctx: Context,
    { account, sessionUid }: SignedIn,
    view: { confirmError?: string; errorParams?: Record<string, string | number>; status?: number } = {},
  ) => {
    const overview = await accountFactors.overview(account, sessionUid);
    const notice = typeof ctx.query.notice === 'string' && hasMessage(`factors.notice.${ctx.query.notice}`) ? ctx.query.notice : undefined;
    const dates = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'long' });
    renderPage(
      ctx,
      'account/factors',
      {
        ...overview,
        totpAddedOn: overview.summary.totp && dates.format(overview.summary.totp.createdAt),
        passkeys: overview.summary.passkeys.map((passkey) => ({ ...passkey, addedOn: dates.format(passkey.createdAt) })),
        notice: notice && `factors.notice.${notice}`,
        confirmError: view.confirmError,
        errorParams: view.errorParams ?? {},
      },
      { status: view.status ?? 200 },
    );
  };

  /** Runs a change only for a session confirmed within 5 minutes; otherwise back to the page, which asks for it. */
  const freshly = (change: (ctx: Context, signed: SignedIn) => Promise<void>) => async (ctx: Context) => {
    const signed = await signedIn(ctx);
    if (!signed) return;
    if (!(await accountFactors.isFresh(signed.account.id, signed.sessionUid))) return backToFactors(ctx, 'confirm_first');
    await change(ctx, signed);
  };

  const showRecoveryCodes = (ctx: Context, codes: string[]) => renderPage(ctx, 'account/recovery-codes', { codes });

  router.get('/', async (ctx) => {
    const signed = await signedIn(ctx);
    if (signed) await show(ctx, signed);
  });

  router.post('/confirm', async (ctx) => {
    const signed = await signedIn(ctx);
    if (!signed) return;
    const form = parseForm(secretForm, ctx.request.body);
    const proof =
      form.challengeId && form.response
        ? { challengeId: form.challengeId, response: parseJson<AuthenticationResponseJSON>(form.response) }
        : { secret: (form.secret ?? '').trim() };
    try {
      if (await accountFactors.confirmSession(signed.account, signed.sessionUid, ctx.ip, proof)) return backToFactors(ctx, 'confirmed');
    } catch (error) {
      if (!(error instanceof TooManyAttemptsError)) throw error;
      ctx.set(error.headers);
      return show(ctx, signed, { confirmError: `error.${error.code}`, errorParams: error.params, status: error.status });
    }
    await show(ctx, signed, { confirmError: 'factors.confirm_wrong', status: 400 });
  });

  router.post(
    '/totp',
    freshly(async (ctx, { account }) => {
      if (!(await accountFactors.beginTotp(account))) return backToFactors(ctx, 'totp_exists');
      ctx.status = 303;
      ctx.redirect('/account/factors/totp');
    }),
  );

  const showTotpEnrolment = async (ctx: Context, account: AccountRow, error?: string) => {
    const enrolment = await accountFactors.pendingTotp(account);
    if (!enrolment) return backToFactors(ctx, 'totp_exists');
    renderPage(ctx, 'account/totp-enrolment', { qrSvg: enrolment.qrSvg, secretText: enrolment.secretText, error }, { status: error ? 400 : 200 });
  };

  router.get(
    '/totp',
    freshly((ctx, { account }) => showTotpEnrolment(ctx, account)),
  );

  router.post(
    '/totp/confirm',
    freshly(async (ctx, { account }) => {
      const { code } = parseForm(codeForm, ctx.request.body);
      const result = await accountFactors.confirmTotp(account, code.trim(), ctx.state.locale);
      if (!result.confirmed) return showTotpEnrolment(ctx, account, 'factors.totp_code_wrong');
      if (result.recoveryCodes) return showRecoveryCodes(ctx, result.recoveryCodes);
      backToFactors(ctx, 'totp_added');
    }),
  );

  /** Removes a factor, unless it is the last one under an organization's requirement. */
  const removing = (factorOf: (ctx: Context) => RemovableFactor, notice: string) =>
    freshly(async (ctx, { account }) => {
      try {
        await accountFactors.removeFactor(account, factorOf(ctx), ctx.state.locale);
      } catch (error) {
        if (error instanceof LastFactorRequiredError) return backToFactors(ctx, 'last_factor_required');
        throw error;
      }
      backToFactors(ctx, notice);
    });

  router.post(
    '/totp/remove',
    removing(() => ({ kind: 'totp' }), 'totp_removed'),
  );

  router.post('/confirm/passkey-options', async (ctx) => {
    const signed = await signedIn(ctx);
    if (signed) ctx.body = await accountFactors.sessionPasskeyOptions(signed.account);
  });

  router.post(
    '/passkey/options',
    freshly(async (ctx, { account }) => {
      ctx.body = await accountFactors.passkeyRegistrationOptions(account);
    }),
  );

  router.post(
    '/passkey',
    freshly(async (ctx, { account }) => {
      const form = parseForm(passkeyForm, ctx.request.body);
      const response = parseJson<RegistrationResponseJSON>(form.response);
      const added = await accountFactors.addPasskey(
        account,
        form.challengeId,
        response,
        form.name || ctx.get('user-agent').slice(0, 64) || 'Passkey',
        ctx.state.locale,
      );
      backToFactors(ctx, added ? 'passkey_added' : 'passkey_failed');
    }),
  );

  router.post(
    '/passkey/remove',
    removing((ctx) => ({ kind: 'passkey', credentialId: parseForm(removePasskeyForm, ctx.request.body).credential }), 'passkey_removed'),
  );

  return router;
}
