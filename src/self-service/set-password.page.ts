import type { Context } from 'koa';
import { z } from 'zod';
import { PasswordRejectedError } from '../accounts/password-policy.ts';
import { parseForm } from '../http/forms.ts';
import { type LinkRetry, parseLinkToken, withInteraction, withValidLink } from './link-page.ts';
import { renderAccountPage } from './sign-in-return.ts';

/** The two ways of choosing a password from an emailed link share one page. */
export interface SetPasswordFlow {
  mode: 'reset' | 'invitation';
  action: string;
  retry: (ctx: Context) => LinkRetry;
  check: (token: string) => Promise<{ email: string }>;
  complete: (ctx: Context, token: string, password: string) => Promise<void>;
}

const setPasswordForm = z.object({ token: z.string().max(200), password: z.string().max(1024) });

function render(ctx: Context, flow: SetPasswordFlow, data: { token: string; email: string; error?: string }): void {
  // The link's own address, for the language links of a refused password's page.
  const pageUrl = withInteraction(flow.action, ctx.state.signInReturn?.uid, { token: data.token });
  renderAccountPage(ctx, 'recovery/set-password', { ...data, mode: flow.mode, action: flow.action, pageUrl }, { status: data.error ? 400 : 200 });
}

/** GET: the link opens a form (a POST), so that mail scanners following links cannot use it up. */
export async function showSetPassword(ctx: Context, flow: SetPasswordFlow): Promise<void> {
  await withValidLink(ctx, flow.retry(ctx), async () => {
    const token = parseLinkToken(ctx.query.token);
    const { email } = await flow.check(token);
    render(ctx, flow, { token, email });
  });
}

/** POST: a refused password shows the form again, with the link still unused. */
export async function submitSetPassword(ctx: Context, flow: SetPasswordFlow): Promise<void> {
  const { token, password } = parseForm(setPasswordForm, ctx.request.body);
  await withValidLink(ctx, flow.retry(ctx), async () => {
    const { email } = await flow.check(token);
    try {
      await flow.complete(ctx, token, password);
    } catch (error) {
      if (error instanceof PasswordRejectedError) return render(ctx, flow, { token, email, error: error.code });
      throw error;
    }
    renderAccountPage(ctx, 'recovery/password-set', { mode: flow.mode, email });
  });
}
