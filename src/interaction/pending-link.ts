import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { PendingLink } from '../federation/linking-policy.ts';
import type { InteractionDetails, InteractionServices } from './interaction-flow.ts';
import type { SignInState } from './sign-in-state.ts';

const pendingLinkSchema = z.object({
  connectionId: z.string().min(1),
  subject: z.string().min(1),
  email: z.string().optional(),
  reason: z.enum(['email_in_use', 'email_unverified']),
  remember: z.boolean().optional(),
  confirmation: z.object({ email: z.string(), tokenDigest: z.string(), expiresAt: z.number() }).optional(),
});

/** The upstream identity this sign-in was asked to link once the person has signed in, if any. */
export function pendingLinkOf(details: InteractionDetails): PendingLink | undefined {
  const parsed = pendingLinkSchema.safeParse((details.result as { pendingLink?: unknown } | undefined)?.pendingLink);
  return parsed.success ? { ...parsed.data, email: parsed.data.email, remember: parsed.data.remember, confirmation: parsed.data.confirmation } : undefined;
}

/**
 * Keeps the identity in the interaction (server-side, bound to this browser's interaction cookie)
 * until the person signs in. When its verified email already has an account, the sign-in goes on
 * at that account's password step; `null` forgets the identity.
 */
export async function savePendingLink(ctx: Context, provider: Provider, details: InteractionDetails, link: PendingLink | null): Promise<void> {
  const passwordStep: SignInState | undefined = link?.reason === 'email_in_use' && link.email ? { step: 'password', email: link.email } : undefined;
  await provider.interactionResult(ctx.req, ctx.res, { ...details.result, pendingLink: link, ...passwordStep }, { mergeWithLastSubmission: true });
}

/**
 * Called once the person has signed in, however they did (password, company or social sign-in):
 * the identity they were asked to sign in for is linked to that account, before the login ends.
 */
export async function linkPendingIdentity(services: InteractionServices, details: InteractionDetails, accountId: string): Promise<void> {
  const pending = pendingLinkOf(details);
  if (pending) await services.socialLinking.link(pending, accountId);
}
