import { z } from 'zod';
import { emailSchema } from '../../accounts/email.ts';
import type { SignInRoute } from '../../hrd/home-realm-discovery.ts';
import { expectPrompt, type JourneyFlow, type JourneyStepDefinition, parseForm, promptOf, renderStep, saveStep, seeOther } from '../flow.ts';
import { interactionUrls, signUpPageUrl } from '../urls.ts';
import { socialSignInView } from './social.step.ts';

const emailForm = z.object({ email: z.string().max(1024).default('') });

export type EmailCheck = { ok: true; email: string } | { ok: false; error: string };

/** Validates a typed email address; the error is a message key tied to the email field. */
export function checkEmail(input: string): EmailCheck {
  if (!input.trim()) return { ok: false, error: 'identifier.email_required' };
  const parsed = emailSchema.safeParse(input);
  return parsed.success ? { ok: true, email: parsed.data } : { ok: false, error: 'identifier.email_invalid' };
}

/** Reads the `email` field of a posted form. */
export function postedEmail(flow: JourneyFlow): string {
  return parseForm(flow, emailForm).email;
}

/** Saves where this email signs in and sends the browser there: the password step or its company's SSO. */
export async function goToSignInRoute(flow: JourneyFlow, email: string, route: SignInRoute): Promise<void> {
  if (route.kind === 'federated') {
    await saveStep(flow, { step: 'federated', email, connectionId: route.connectionId });
    seeOther(flow.ctx, interactionUrls.federated(flow.ref, route.connectionId));
    return;
  }
  await saveStep(flow, { step: 'password', email });
  seeOther(flow.ctx, interactionUrls.signIn(flow.ref));
}

export function showIdentifier(flow: JourneyFlow, view: { email?: string; error?: string } = {}, status = 200): void {
  renderStep(
    flow,
    'interaction/identifier',
    {
      email: view.email ?? '',
      error: view.error,
      social: socialSignInView(flow),
      links: {
        action: interactionUrls.step(flow.ref, 'identifier'),
        companyId: interactionUrls.step(flow.ref, 'company-id'),
        signUp: signUpPageUrl(flow.ref),
        passkey: interactionUrls.step(flow.ref, 'passkey'),
        passkeyOptions: interactionUrls.step(flow.ref, 'passkey-options'),
      },
    },
    { page: 'identifier', status },
  );
}

/**
 * First visit: an app that already knows who signs in (a valid login_hint) skips the email page;
 * any other hint only fills it in. A `domain_hint` whose domain has company sign-in goes straight there.
 */
async function startSignIn(flow: JourneyFlow): Promise<void> {
  const { login_hint: hint, domain_hint: domainHint } = flow.details.params;
  const { homeRealmDiscovery } = flow.deps;
  const checked = typeof hint === 'string' ? checkEmail(hint) : undefined;
  if (checked?.ok) {
    await goToSignInRoute(flow, checked.email, await homeRealmDiscovery.discover(checked.email));
    return;
  }
  const domainRoute = typeof domainHint === 'string' ? await homeRealmDiscovery.discoverDomain?.(domainHint) : undefined;
  if (domainRoute?.kind === 'federated') {
    await goToSignInRoute(flow, '', domainRoute);
    return;
  }
  showIdentifier(flow, { email: typeof hint === 'string' ? hint : '' });
}

async function submitIdentifier(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const input = postedEmail(flow);
  const checked = checkEmail(input);
  if (!checked.ok) {
    showIdentifier(flow, { email: input, error: checked.error }, 400);
    return;
  }
  // No account lookup here: whether an email has an account is never revealed before the password.
  await goToSignInRoute(flow, checked.email, await flow.deps.homeRealmDiscovery.discover(checked.email));
}

/** Pages reached by a link (identifier, company ID) exist only while the sign-in asks for a login. */
export function loginPage(show: (flow: JourneyFlow) => void) {
  return (flow: JourneyFlow) => (promptOf(flow) === 'login' ? show(flow) : seeOther(flow.ctx, interactionUrls.signIn(flow.ref)));
}

/**
 * The email step: the first page of every sign-in. Back from a company sign-in page (saved at
 * `federated`), it offers the email again rather than bouncing back there.
 */
export const identifierStep: JourneyStepDefinition = {
  shows: ['federated'],
  show: (flow) => {
    const { at } = flow.state;
    if (!at) return startSignIn(flow);
    showIdentifier(flow, { email: 'email' in at ? at.email : '' });
  },
  routes: [
    { method: 'get', path: '/identifier', handler: loginPage(showIdentifier) },
    { method: 'post', path: '/identifier', handler: submitIdentifier },
  ],
};
