import { z } from 'zod';
import { emailSchema } from '../accounts/email.ts';
import type { SignInRoute } from '../hrd/home-realm-discovery.ts';
import { expectPrompt, type InteractionFlow, parseForm, renderStep, saveSignInState, seeOther, stepUrl } from './interaction-flow.ts';
import { socialSignInView } from './social-sign-in.view.ts';

const emailForm = z.object({ email: z.string().max(1024).default('') });

export type EmailCheck = { ok: true; email: string } | { ok: false; error: string };

/** Validates a typed email address; the error is a message key tied to the email field. */
export function checkEmail(input: string): EmailCheck {
  if (!input.trim()) return { ok: false, error: 'identifier.email_required' };
  const parsed = emailSchema.safeParse(input);
  return parsed.success ? { ok: true, email: parsed.data } : { ok: false, error: 'identifier.email_invalid' };
}

/** Reads the `email` field of a posted form. */
export function postedEmail(flow: InteractionFlow): string {
  return parseForm(flow, emailForm).email;
}

/** Saves where this email signs in and sends the browser there: the password step or its company's SSO. */
export async function goToSignInRoute(flow: InteractionFlow, email: string, route: SignInRoute): Promise<void> {
  if (route.kind === 'federated') {
    await saveSignInState(flow, { step: 'federated', email, connectionId: route.connectionId });
    seeOther(flow.ctx, `/interaction/${encodeURIComponent(flow.details.uid)}/federated/${encodeURIComponent(route.connectionId)}`);
    return;
  }
  await saveSignInState(flow, { step: 'password', email });
  seeOther(flow.ctx, stepUrl(flow));
}

export function showIdentifier(flow: InteractionFlow, view: { email?: string; error?: string } = {}, status = 200): void {
  const { uid } = flow.details;
  renderStep(
    flow,
    'interaction/identifier',
    {
      email: view.email ?? '',
      error: view.error,
      social: socialSignInView(flow.ctx, flow.services, flow.details),
      links: {
        action: stepUrl(flow, 'identifier'),
        companyId: stepUrl(flow, 'company-id'),
        signUp: `/signup?interaction=${encodeURIComponent(uid)}`,
      },
    },
    { page: 'identifier', status },
  );
}

/**
 * First visit: an app that already knows who signs in (a valid login_hint) skips the email page;
 * any other hint only fills it in. A `domain_hint` whose domain has company sign-in goes straight there.
 */
export async function startSignIn(flow: InteractionFlow): Promise<void> {
  const { login_hint: hint, domain_hint: domainHint } = flow.details.params;
  const checked = typeof hint === 'string' ? checkEmail(hint) : undefined;
  if (checked?.ok) {
    await goToSignInRoute(flow, checked.email, await flow.services.homeRealmDiscovery.discover(checked.email));
    return;
  }
  const domainRoute = typeof domainHint === 'string' ? await flow.services.homeRealmDiscovery.discoverDomain?.(domainHint) : undefined;
  if (domainRoute?.kind === 'federated') {
    await goToSignInRoute(flow, '', domainRoute);
    return;
  }
  showIdentifier(flow, { email: typeof hint === 'string' ? hint : '' });
}

export async function submitIdentifier(flow: InteractionFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const input = postedEmail(flow);
  const checked = checkEmail(input);
  if (!checked.ok) {
    showIdentifier(flow, { email: input, error: checked.error }, 400);
    return;
  }
  // No account lookup here: whether an email has an account is never revealed before the password.
  await goToSignInRoute(flow, checked.email, await flow.services.homeRealmDiscovery.discover(checked.email));
}
