import { expectPrompt, type JourneyFlow, type JourneyStepDefinition, renderStep } from '../flow.ts';
import { interactionUrls } from '../urls.ts';
import { checkEmail, goToSignInRoute, loginPage, postedEmail } from './identifier.step.ts';

/** "My company ID": for people whose company email did not lead to their company's sign-in page. */
function showCompanyId(flow: JourneyFlow, view: { email?: string; error?: string; errorParams?: Record<string, string> } = {}, status = 200): void {
  renderStep(
    flow,
    'interaction/company-id',
    {
      email: view.email ?? '',
      error: view.error,
      errorParams: view.errorParams ?? {},
      links: { action: interactionUrls.step(flow.ref, 'company-id'), ownEmail: interactionUrls.step(flow.ref, 'identifier') },
    },
    { page: 'company-id', status },
  );
}

async function submitCompanyId(flow: JourneyFlow): Promise<void> {
  expectPrompt(flow, 'login');
  const input = postedEmail(flow);
  const checked = checkEmail(input);
  if (!checked.ok) {
    showCompanyId(flow, { email: input, error: checked.error }, 400);
    return;
  }
  const route = await flow.deps.homeRealmDiscovery.discover(checked.email);
  if (route.kind !== 'federated') {
    const domain = checked.email.slice(checked.email.lastIndexOf('@') + 1);
    showCompanyId(flow, { email: input, error: 'company_id.no_sso', errorParams: { domain } }, 400);
    return;
  }
  await goToSignInRoute(flow, checked.email, route);
}

export const companyIdStep: JourneyStepDefinition = {
  routes: [
    { method: 'get', path: '/company-id', handler: loginPage(showCompanyId) },
    { method: 'post', path: '/company-id', handler: submitCompanyId },
  ],
};
