import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { PendingLink } from '../federation/linking-policy.ts';
import type { Services } from '../services.ts';

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

const pendingLinkSchema = z.object({
  connectionId: z.string().min(1),
  subject: z.string().min(1),
  email: z.string().optional(),
  reason: z.enum(['email_in_use', 'email_unverified']),
});

/** The upstream identity this sign-in was asked to link once the person has signed in, if any. */
export function pendingLinkOf(details: InteractionDetails): PendingLink | undefined {
  const parsed = pendingLinkSchema.safeParse((details.result as { pendingLink?: unknown } | undefined)?.pendingLink);
  return parsed.success ? { ...parsed.data, email: parsed.data.email } : undefined;
}

/** Keeps the identity in the interaction (server-side, bound to this browser's interaction cookie) until the person signs in. */
export async function savePendingLink(ctx: Context, provider: Provider, link: PendingLink | null): Promise<void> {
  await provider.interactionResult(ctx.req, ctx.res, { pendingLink: link }, { mergeWithLastSubmission: true });
}

export interface Login {
  accountId: string;
  amr: string[];
  /** undefined: no choice was offered, oidc-provider's default (a persistent session) applies. */
  remember?: boolean | undefined;
}

/**
 * Ends the login step, however the person signed in (password, company or social sign-in): an
 * identity they were asked to sign in for is linked to the account first, then oidc-provider
 * writes the session and carries on with the authorization.
 */
export async function finishLogin(ctx: Context, services: Services, provider: Provider, details: InteractionDetails, login: Login): Promise<void> {
  const pending = pendingLinkOf(details);
  if (pending) await services.socialLinking.link(pending, login.accountId);
  const { remember, ...rest } = login;
  await provider.interactionFinished(ctx.req, ctx.res, { login: { ...rest, ...(remember === undefined ? {} : { remember }) } }, { mergeWithLastSubmission: false });
}
