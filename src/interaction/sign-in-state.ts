import { z } from 'zod';
import type { InteractionDetails } from './interaction-flow.ts';

// Nothing saved yet means the identifier (email) step.
const signInStateSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('password'), email: z.string() }),
  z.object({ step: z.literal('federated'), email: z.string(), connectionId: z.string() }),
]);

/**
 * Where a sign-in stands, saved in the interaction result (so in the database, keyed by the
 * interaction) rather than inferred from whichever form was posted.
 */
export type SignInState = z.infer<typeof signInStateSchema>;
export type SignInStep = SignInState['step'];

/** The saved state, or undefined while nothing has been saved for this interaction. */
export function signInStateOf(details: InteractionDetails): SignInState | undefined {
  const parsed = signInStateSchema.safeParse(details.result ?? {});
  return parsed.success ? parsed.data : undefined;
}
