import { checkEmail, goToSignInRoute, postedEmail } from './identifier.step.ts';
import { expectPrompt, type InteractionFlow, renderStep, stepUrl } from './interaction-flow.ts';

/** "My company ID": for people whose company email did not lead to their company's sign-in page. */
export function showCompanyId(flow: InteractionFlow, view: { email?: string; error?: string; errorParams?: Record<string, string> } = {}, status = 200): void {
  renderStep(
    flow,
    'interaction/company-id',
    {
      email: view.email ?? '',
      error: view.error,
      errorParams: view.errorParams ?? {},
      links: { action: stepUrl(flow, 'company-id'), ownEmail: stepUrl(flow, 'identifier') },
    },
    { page: 'company-id', status },
  );
}

export async function submitCompanyId(flow: InteractionFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const input = postedEmail(flow);
  const checked = checkEmail(input);
  if (!checked.ok) {
    showCompanyId(flow, { email: input, error: checked.error }, 400);
    return;
  }
  const route = await flow.services.homeRealmDiscovery.discover(checked.email);
  if (route.kind !== 'federated') {
    const domain = checked.email.slice(checked.email.lastIndexOf('@') + 1);
    showCompanyId(flow, { email: input, error: 'company_id.no_sso', errorParams: { domain } }, 400);
    return;
  }
  await goToSignInRoute(flow, checked.email, route);
}
