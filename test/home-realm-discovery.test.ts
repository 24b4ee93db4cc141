import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { postToAcs, resume, startInteraction } from './helpers/federation-journey.ts';
import { authorizationRequest, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { TestSamlIdp } from './helpers/saml-idp.ts';
import { startTestServer } from './helpers/test-server.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

describe('home-realm discovery on the sign-in pages', () => {
  let server: RunningServer;
  let app: TestClient;
  let idp: TestSamlIdp;
  let connectionId: string;

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    idp = await TestSamlIdp.start();
    const acme = await server.services.orgs.organizationService.create({ name: 'Acme', domains: ['acme.test'], verifiedByOperator: true });
    const connection = await server.services.federation.connectionSetup.createSaml({
      organizationId: acme.id,
      enabledByOperator: true,
      name: 'Acme',
      metadata: { xml: idp.metadataXml },
      enforceSso: false,
      signAuthnRequests: true,
    });
    connectionId = connection.id;
    idp.trust(await (await fetch(connection.metadataUrl)).text());
    // Claimed, never proven: must not route anyone.
    const squatter = await server.services.orgs.organizationService.create({ name: 'Squatter', domains: ['bigcorp.test'], verifiedByOperator: false });
    await server.services.federation.connectionSetup.createSaml({
      organizationId: squatter.id,
      enabledByOperator: true,
      name: 'Squatter',
      metadata: { xml: idp.metadataXml },
      enforceSso: false,
      signAuthnRequests: true,
    });
  });
  afterAll(async () => {
    await idp?.close();
    await server?.close();
  });

  /** Follows redirects from `response` while they stay on our server; returns the first one leaving it (the IdP). */
  async function toIdp(agent: UserAgent, response: PageResponse): Promise<string> {
    let current = response;
    for (let hops = 0; hops < 10; hops += 1) {
      expect(current.status, current.body.slice(0, 400)).toBeGreaterThanOrEqual(300);
      const location = new URL(current.headers.get('location')!, current.url).toString();
      if (!location.startsWith(server.url)) return location;
      current = await agent.request(location);
    }
    throw new Error('no redirect to the IdP');
  }

  async function completeAtIdp(agent: UserAgent, idpUrl: string, email: string) {
    expect(idpUrl.startsWith(`${idp.baseUrl}/sso?`)).toBe(true);
    const authnRequest = await idp.parseRequest({ url: idpUrl });
    const form = await idp.respond(authnRequest, { nameId: email, email });
    return { authnRequest, end: await resume(agent, await postToAcs(agent, form)) };
  }

  it('sends a work email typed on the email page straight to the company IdP, with the email as the requested subject', async () => {
    const agent = new UserAgent();
    const { page, request } = await startInteraction(agent, app);
    const posted = await agent.request(new URL(page.$('form[action*="/identifier"]').attr('action')!, server.url).toString(), {
      form: { _csrf: page.$('input[name=_csrf]').val() as string, email: 'Road.Runner@ACME.test' },
    });
    const { authnRequest, end } = await completeAtIdp(agent, await toIdp(agent, posted), 'road.runner@acme.test');
    expect(authnRequest.subjectNameId).toBe('road.runner@acme.test');
    expect(end.url.startsWith(redirectUri)).toBe(true);
    await exchangeCode(app.config, end.url, request);
  });

  it('skips the email page when the app sends a login_hint or a domain_hint', async () => {
    const withLoginHint = new UserAgent();
    const byLogin = await authorizationRequest(app.config, { login_hint: 'bugs@acme.test' });
    const idpUrl = await toIdp(withLoginHint, await withLoginHint.request(byLogin.url));
    expect((await idp.parseRequest({ url: idpUrl })).subjectNameId).toBe('bugs@acme.test');

    const withDomainHint = new UserAgent();
    const byDomain = await authorizationRequest(app.config, { domain_hint: 'acme.test' });
    const domainIdpUrl = await toIdp(withDomainHint, await withDomainHint.request(byDomain.url));
    const { authnRequest, end } = await completeAtIdp(withDomainHint, domainIdpUrl, 'daffy@acme.test');
    expect(authnRequest.subjectNameId).toBeUndefined();
    await exchangeCode(app.config, end.url, byDomain);

    // A domain without (proven) company sign-in just shows the email page.
    const unknown = new UserAgent();
    const page = await unknown.follow((await authorizationRequest(app.config, { domain_hint: 'bigcorp.test' })).url, {}, redirectUri);
    expect(page.$('form[action*="/identifier"]').length).toBe(1);
  });

  it('the My company ID page sends a company email to its IdP; an unproven domain gets the password page', async () => {
    const agent = new UserAgent();
    const { page } = await startInteraction(agent, app);
    const companyPage = await agent.follow(new URL(page.$('a[href*="/company-id"]').attr('href')!, server.url).toString());
    expect(companyPage.$('h1').text()).toBe('Sign in with your company ID');
    const posted = await agent.request(new URL(companyPage.$('form').attr('action')!, server.url).toString(), {
      form: { _csrf: companyPage.$('input[name=_csrf]').val() as string, email: 'wile@acme.test' },
    });
    expect(await toIdp(agent, posted)).toMatch(new RegExp(`^${idp.baseUrl}/sso\\?`));

    const other = new UserAgent();
    const start = await startInteraction(other, app);
    const passwordPage = await other.submit(start.page, 'form[action*="/identifier"]', { email: 'ceo@bigcorp.test' });
    expect(passwordPage.$('form[action*="/password"]').length).toBe(1);
  });

  it('after a failed company sign-in, "Sign in another way" shows the email page filled in, not the IdP again', async () => {
    const agent = new UserAgent();
    const { page } = await startInteraction(agent, app);
    const posted = await agent.request(new URL(page.$('form[action*="/identifier"]').attr('action')!, server.url).toString(), {
      form: { _csrf: page.$('input[name=_csrf]').val() as string, email: 'marvin@acme.test' },
    });
    const authnRequest = await idp.parseRequest({ url: await toIdp(agent, posted) });
    const failed = await idp.respond(authnRequest, undefined, { status: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed' });
    const failurePage = await resume(agent, await postToAcs(agent, failed));
    const back = failurePage
      .$('a')
      .filter((_, a) => /Sign in another way/.test(failurePage.$(a).text()))
      .attr('href')!;
    const identifier = await agent.follow(new URL(back, server.url).toString());
    expect(identifier.status).toBe(200);
    expect(identifier.$('input[name=email]').val()).toBe('marvin@acme.test');
    expect(failurePage.$(`a[href*="/federated/${connectionId}?client_id="]`).text()).toMatch(/Try again/);
  });
});
