import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { levelOfAcr, requestedLevel } from '../factors/assurance.ts';

const { Check, base } = interactionPolicy;

/**
 * oidc-provider's interaction policy, plus step-up: an app's acr_values above the level the
 * session reached (its acr) lead to the login prompt again, where the journey asks for the missing
 * factor; with prompt=none the app gets login_required instead. max_age is oidc-provider's own check.
 */
export function stepUpInteractionPolicy(): interactionPolicy.Prompt[] {
  const policy = base();
  policy.get('login')!.checks.add(
    new Check('acr_values_above_session', 'the requested acr_values are above what the session reached', 'login_required', (ctx: KoaContextWithOIDC) => {
      const requested = requestedLevel(ctx.oidc.params?.acr_values);
      if (!requested || !ctx.oidc.session?.accountId) return Check.NO_NEED_TO_PROMPT;
      return (levelOfAcr(ctx.oidc.acr) ?? 1) >= requested ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
