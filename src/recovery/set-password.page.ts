import type { Context } from 'koa';
import { z } from 'zod';
import { PasswordRejectedError } from '../accounts/password-policy.ts';
import { interactionUid, parseForm } from '../http/forms.ts';
import { renderPage } from '../ui/views.ts';
import { type LinkRetry, parseLinkToken, withValidLink } from './link-page.ts';

/** The two ways of choosing a password from an emailed link share one page. */
export interface SetPasswordFlow {
  mode: 'reset' | 'invitation';
  action: string;
  retry: (interaction?: string) => LinkRetry;
  check: (token: string) => Promise<{ email: string }>;
  complete: (ctx: Context, token: string, password: string, interaction?: string) => Promise<void>;
}

const setPasswordForm = z.object({ token: z.string().max(200), password: z.string().max(1024), interaction: interactionUid });

function render(ctx: Context, flow: SetPasswordFlow, data: { token: string; email: string; interaction?: string | undefined; error?: string }): void {
  renderPage(ctx, 'recovery/set-password', { ...data, mode: flow.mode, action: flow.action }, { status: data.error ? 400 : 200 });
}

/** GET: the link opens a form (a POST), so that mail scanners following links cannot use it up. */
export async function showSetPassword(ctx: Context, flow: SetPasswordFlow): Promise<void> {
  const interaction = interactionUid.parse(ctx.query.interaction);
  await withValidLink(ctx, flow.retry(interaction), async () => {
    const token = parseLinkToken(ctx.query.token);
    const { email } = await flow.check(token);
    render(ctx, flow, { token, email, interaction });
  });
}

/** POST: a refused password shows the form again, with the link still unused. */
export async function submitSetPassword(ctx: Context, flow: SetPasswordFlow): Promise<void> {
  const { token, password, interaction } = parseForm(setPasswordForm, ctx.request.body);
  await withValidLink(ctx, flow.retry(interaction), async () => {
    const { email } = await flow.check(token);
    try {
      await flow.complete(ctx, token, password, interaction);
    } catch (error) {
      if (error instanceof PasswordRejectedError) return render(ctx, flow, { token, email, interaction, error: error.code });
      throw error;
    }
    renderPage(ctx, 'recovery/password-set', { mode: flow.mode, email, interaction });
  });
}
