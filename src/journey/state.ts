import { z } from 'zod';
import type { PendingLink } from '../federation/linking-policy.ts';

/**
 * The steps a sign-in can be saved at. Nothing saved yet means the identifier (email) step. A new
 * step (a second factor, say) adds its member here, with the data its page and its POST need.
 */
/** The first factor passed, kept while a further step is asked (factor-policy.ts SignInMethod). */
const signInMethodSchema = z.object({
  kind: z.enum(['password', 'passkey', 'federated', 'social_email', 'sign_up']),
  amr: z.array(z.string()),
  remember: z.boolean().optional(),
  connectionId: z.string().optional(),
  upstream: z.object({ amr: z.array(z.string()), acr: z.string().optional() }).optional(),
  enrolmentPostponed: z.boolean().optional(),
});

/** The account a further step confirms: known, but not signed in yet. */
const signingInSchema = { accountId: z.string(), email: z.string(), method: signInMethodSchema };

const journeyStepSchema = z.discriminatedUnion('step', [
  /** `after`: a first factor already passed (a passkey without user verification), the password its second. */
  z.object({ step: z.literal('password'), email: z.string(), after: z.object(signingInSchema).optional() }),
  z.object({ step: z.literal('federated'), email: z.string(), connectionId: z.string() }),
  // prompt=create: sent to the sign-up page, then back once the new account's email is confirmed.
  z.object({ step: z.literal('sign_up') }),
  z.object({ step: z.literal('signed_up'), accountId: z.string() }),
  /** "Confirm it's you": one of the account's factors (the policy's choice of methods). */
  z.object({ step: z.literal('confirm'), ...signingInSchema, methods: z.array(z.enum(['totp', 'recovery_code', 'passkey'])).min(1) }),
  /** An organization requires a factor the account lacks: set one up (only a passkey if phishing-resistant); `deadline` (ms) while "Later" is allowed. */
  z.object({ step: z.literal('enrol'), ...signingInSchema, phishingResistant: z.boolean(), deadline: z.number().optional() }),
  /** The authenticator app just set up at sign-in, its recovery codes shown once: "Continue" goes on. */
  z.object({ step: z.literal('enrolled'), ...signingInSchema }),
  /** A browser this account never used, without a factor: a code mailed to the address. */
  z.object({ step: z.literal('device_code'), ...signingInSchema }),
]);

/** The upstream identity this sign-in was asked to link once the person has signed in (linking-policy.ts). */
const pendingLinkSchema = z.object({
  connectionId: z.string().min(1),
  subject: z.string().min(1),
  email: z.string().optional(),
  reason: z.enum(['email_in_use', 'email_unverified']),
  remember: z.boolean().optional(),
  confirmation: z.object({ email: z.string(), tokenDigest: z.string(), expiresAt: z.number() }).optional(),
});

const journeyStateSchema = z.object({
  at: journeyStepSchema.optional(),
  pendingLink: pendingLinkSchema.optional(),
});

export type JourneyStep = z.infer<typeof journeyStepSchema>;
export type StepName = JourneyStep['step'];

/**
 * Where a sign-in stands, saved in the interaction result (so in the database, keyed by the
 * interaction and bound to this browser's interaction cookie), never in the Session and never
 * inferred from whichever form was posted.
 */
export interface JourneyState {
  at: JourneyStep | undefined;
  pendingLink: PendingLink | undefined;
}

/** The key of the interaction result holding the state, beside oidc-provider's own (login, consent). */
export const journeyResultKey = 'journey';

/** The saved state; anything unreadable counts as nothing saved (the identifier step). */
export function journeyStateOf(result: Record<string, unknown> | undefined): JourneyState {
  const parsed = journeyStateSchema.safeParse(result?.[journeyResultKey] ?? {});
  if (!parsed.success) return { at: undefined, pendingLink: undefined };
  const { at, pendingLink } = parsed.data;
  return {
    at,
    pendingLink: pendingLink && { ...pendingLink, email: pendingLink.email, remember: pendingLink.remember, confirmation: pendingLink.confirmation },
  };
}
