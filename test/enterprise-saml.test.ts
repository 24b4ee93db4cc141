import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { beginFederated, postToAcs, resume, startInteraction } from './helpers/federation-journey.ts';
import { client, exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { type ResponseOptions, type SamlUser, stripSignatures, TestSamlIdp, tamper } from './helpers/saml-idp.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

describe('enterprise sign-in with SAML 2.0 (samlify IdP on loopback)', () => {
  let server: RunningServer;
  let app: TestClient;
  let idp: TestSamlIdp;
  let connection: { id: string; entityId: string; acsUrl: string; metadataUrl: string };
  let organizationId: string;

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    idp = await TestSamlIdp.start();
    const organization = await server.services.orgs.organizationService.create({ name: 'Acme', domains: ['acme.test'], verifiedByOperator: true });
    organizationId = organization.id;
    connection = await server.services.federation.connectionSetup.createSaml({
      organizationId,
      enabledByOperator: true,
      name: 'Acme ADFS',
      metadata: { url: idp.metadataUrl },
      enforceSso: false,
      signAuthnRequests: true,
    });
    idp.trust(await (await fetch(connection.metadataUrl)).text());
  });
  afterAll(async () => {
    await idp?.close();
    await server?.close();
  });

  /** Starts a sign-in, lets the IdP parse our AuthnRequest and returns it with the browser. */
  async function toIdp(loginHint?: string) {
    const agent = new UserAgent();
    const { uid, request } = await startInteraction(agent, app);
    const redirect = await beginFederated(agent, server.url, uid, connection.id, loginHint);
    expect(redirect.status).toBe(302);
    const authnRequest = await idp.parseRequest({ url: redirect.headers.get('location')! });
    return { agent, uid, request, authnRequest };
  }

  async function signIn(user: SamlUser, options: ResponseOptions = {}) {
    const started = await toIdp(user.email);
    const form = await idp.respond(started.authnRequest, user, options);
    const end = await resume(started.agent, await postToAcs(started.agent, form));
    return { ...started, form, end };
  }

  async function tokensOf(result: Awaited<ReturnType<typeof signIn>>) {
    expect(result.end.url.startsWith(redirectUri), result.end.body.slice(0, 800)).toBe(true);
    const tokens = await exchangeCode(app.config, result.end.url, result.request);
    const claims = tokens.claims()!;
    return { claims, userinfo: await client.fetchUserInfo(app.config, tokens.access_token, claims.sub) };
  }

  /** The failure page: an explanation, no code for the app, and a way back to the sign-in page. */
  function expectRefused(page: { status: number; url: string; body: string; $: import('cheerio').CheerioAPI }, message: RegExp) {
    expect(page.url.startsWith(redirectUri)).toBe(false);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.$('[role=alert]').text()).toMatch(message);
    expect(
      page
        .$('a')
        .filter((_, a) => /Sign in another way/.test(page.$(a).text()))
        .attr('href'),
    ).toMatch(/^\/interaction\/[^/?]+\?client_id=[\w-]+$/);
  }

  it('publishes our SP metadata per connection: entityID, ACS URL and signing certificate', async () => {
    const response = await fetch(connection.metadataUrl);
    expect(response.headers.get('content-type')).toContain('samlmetadata+xml');
    const xml = await response.text();
    expect(xml).toContain(`entityID="${connection.entityId}"`);
    expect(xml).toContain(`Location="${connection.acsUrl}"`);
    expect(xml).toMatch(/AuthnRequestsSigned="true"/);
    expect(xml).toMatch(/<KeyDescriptor use="signing">[\s\S]*<ds:X509Certificate>[A-Za-z0-9+/=\s]{200,}<\/ds:X509Certificate>/);
    expect(connection.acsUrl).toBe(`${server.services.config.issuer}/federation/${connection.id}/saml/acs`);
  });

  it('signs the AuthnRequest (verified by the IdP) and puts the email in its Subject', async () => {
    const { authnRequest } = await toIdp('ada@acme.test');
    expect(authnRequest.signatureVerified).toBe(true);
    expect(authnRequest.subjectNameId).toBe('ada@acme.test');
    expect(authnRequest.xml).toContain(`AssertionConsumerServiceURL="${connection.acsUrl}"`);
  });

  it('sends unsigned AuthnRequests when asked to, unless the IdP wants them signed', async () => {
    const lenientIdp = await TestSamlIdp.start({ wantAuthnRequestsSigned: false });
    try {
      const created = await server.services.federation.connectionSetup.createSaml({
        organizationId,
        enabledByOperator: true,
        name: 'Unsigned',
        metadata: { xml: lenientIdp.metadataXml },
        enforceSso: false,
        signAuthnRequests: false,
      });
      expect(await (await fetch(created.metadataUrl)).text()).toMatch(/AuthnRequestsSigned="false"/);
      const agent = new UserAgent();
      const { uid } = await startInteraction(agent, app);
      const location = new URL((await beginFederated(agent, server.url, uid, created.id)).headers.get('location')!);
      expect(location.searchParams.get('SAMLRequest')).toBeTruthy();
      expect(location.searchParams.has('Signature')).toBe(false);

      // The IdP's metadata asks for signed requests: they are signed whatever the option said.
      const strict = await server.services.federation.connectionSetup.createSaml({
        organizationId,
        enabledByOperator: true,
        name: 'Strict',
        metadata: { xml: idp.metadataXml },
        enforceSso: false,
        signAuthnRequests: false,
      });
      const { uid: other } = await startInteraction(agent, app);
      const signed = new URL((await beginFederated(agent, server.url, other, strict.id)).headers.get('location')!);
      expect(signed.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      expect(signed.searchParams.get('Signature')).toBeTruthy();
    } finally {
      await lenientIdp.close();
    }
  });

  it('creates the user just in time in the organization, then refreshes name and email on later sign-ins', async () => {
    const user: SamlUser = { nameId: 'ada-persistent-id', email: 'ada@acme.test', givenName: 'Ada', familyName: 'Lovelace' };
    const first = await tokensOf(await signIn(user));
    expect(first.userinfo).toMatchObject({ email: 'ada@acme.test', email_verified: true, given_name: 'Ada', family_name: 'Lovelace', name: 'Ada Lovelace' });
    const organizations = await server.services.orgs.organizations.organizationsOfAccount(first.claims.sub);
    expect(organizations.map((organization) => organization.id)).toEqual([organizationId]);
    const account = await server.services.accounts.repository.findById(first.claims.sub);
    expect(account?.password_hash).toBeNull();

    const second = await tokensOf(await signIn({ ...user, email: 'ada.king@acme.test', familyName: 'King' }));
    expect(second.claims.sub).toBe(first.claims.sub);
    expect(second.userinfo).toMatchObject({ email: 'ada.king@acme.test', family_name: 'King', name: 'Ada King' });
  });

  it('keys identities by NameID, not by email: another NameID with a known email does not take the account over', async () => {
    await tokensOf(await signIn({ nameId: 'grace-1', email: 'grace@acme.test', givenName: 'Grace' }));
    const other = await signIn({ nameId: 'grace-2', email: 'grace@acme.test', givenName: 'Impostor' });
    expectRefused(other.end, /already linked to another company identity/);
  });

  it('links a standard account in the verified domain to its SSO identity on the first SSO sign-in', async () => {
    const standard = await server.services.accounts.service.createAccount({ email: 'bob@acme.test', password: 'correct horse battery', name: 'Bob Builder' });
    const { claims } = await tokensOf(await signIn({ nameId: 'bob-at-idp', email: 'bob@acme.test', givenName: 'Robert', familyName: 'Builder' }));
    expect(claims.sub).toBe(standard.id);
    const identities = await server.services.federation.identities.listOfAccount(standard.id);
    expect(identities.map((identity) => [identity.connection_id, identity.subject])).toEqual([[connection.id, 'bob-at-idp']]);
  });

  it('refuses an email outside the organization’s verified domains (no account is created or linked)', async () => {
    const { end } = await signIn({ nameId: 'mallory', email: 'victim@elsewhere.test' });
    expectRefused(end, /not in one of your organization's verified domains/);
    expect(await server.services.accounts.repository.findByEmail('victim@elsewhere.test')).toBeUndefined();
  });

  it('accepts a response signed as a whole (assertion unsigned)', async () => {
    const { claims } = await tokensOf(await signIn({ nameId: 'carol', email: 'carol@acme.test' }, { sign: 'response' }));
    expect(claims.sub).toBeTruthy();
  });

  it('accepts up to two minutes of clock skew', async () => {
    const now = Date.now();
    const result = await signIn({ nameId: 'dave', email: 'dave@acme.test' }, { notBefore: new Date(now + 60_000), notOnOrAfter: new Date(now - 60_000) });
    await tokensOf(result);
  });

  describe('refusals, each with a clear page', () => {
    async function refusedWith(
      change: (
        form: Awaited<ReturnType<TestSamlIdp['respond']>>,
      ) => Promise<{ SAMLResponse: string; RelayState: string; acsUrl: string }> | { SAMLResponse: string; RelayState: string; acsUrl: string },
      message: RegExp,
      options: ResponseOptions = {},
    ) {
      const { agent, authnRequest } = await toIdp();
      const form = await change(await idp.respond(authnRequest, { nameId: 'eve', email: 'eve@acme.test' }, options));
      const end = await resume(agent, await postToAcs(agent, form));
      expectRefused(end, message);
      expect(await server.services.accounts.repository.findByEmail('eve@acme.test')).toBeUndefined();
      return end;
    }

    it('a tampered signed assertion (invalid signature)', async () => {
      await refusedWith((form) => ({ ...form, SAMLResponse: tamper(form.SAMLResponse, (xml) => xml.replace('>eve<', '>ceo<')) }), /invalid signature/);
    });

    it('a signature-wrapped assertion: a forged assertion around (or beside) the signed one', async () => {
      const forge = (xml: string) => {
        const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
        const forged = signed
          .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
          .replaceAll('eve@acme.test', 'ceo@acme.test')
          .replace('>eve<', '>ceo<');
        return { xml, signed, forged };
      };
      // The forged assertion is the one the response holds; the signed original hides inside its Advice.
      await refusedWith(
        (form) => ({
          ...form,
          SAMLResponse: tamper(form.SAMLResponse, (xml) => {
            const { signed, forged } = forge(xml);
            return xml.replace(signed, forged.replace('</saml:Issuer>', `</saml:Issuer><saml:Advice>${signed}</saml:Advice>`));
          }),
        }),
        /invalid signature/,
      );
      // Two assertions side by side: the signed one and a forged one first.
      await refusedWith(
        (form) => ({
          ...form,
          SAMLResponse: tamper(form.SAMLResponse, (xml) => {
            const { signed, forged } = forge(xml);
            return xml.replace(signed, forged + signed);
          }),
        }),
        /invalid signature/,
      );
      expect(await server.services.accounts.repository.findByEmail('ceo@acme.test')).toBeUndefined();
    });

    it('an unsigned response', async () => {
      await refusedWith((form) => ({ ...form, SAMLResponse: stripSignatures(form.SAMLResponse) }), /unsigned answer/);
    });

    it('an assertion for another audience', async () => {
      await refusedWith((form) => form, /meant for another service/, { audience: 'https://other-sp.example/metadata' });
    });

    it('an assertion for another recipient, and a response for another destination', async () => {
      await refusedWith((form) => form, /meant for another address/, { recipient: 'https://other-sp.example/acs' });
      await refusedWith((form) => form, /sent to the wrong address/, { destination: 'https://other-sp.example/acs' });
    });

    it('an assertion from another issuer, even signed with the configured key', async () => {
      await refusedWith((form) => form, /unexpected sign-in service/, { issuer: 'https://evil-idp.example' });
    });

    it('an expired assertion, or one not yet valid, beyond two minutes of skew', async () => {
      const now = Date.now();
      await refusedWith((form) => form, /expired or is not yet valid/, { notBefore: new Date(now - 10 * 60_000), notOnOrAfter: new Date(now - 3 * 60_000) });
      await refusedWith((form) => form, /expired or is not yet valid/, { notBefore: new Date(now + 3 * 60_000) });
    });

    it('a response to a request we never sent, or to another sign-in’s request', async () => {
      await refusedWith((form) => form, /does not match a sign-in started here/, { inResponseTo: '_a-request-we-never-sent' });
      const other = await toIdp();
      await refusedWith((form) => form, /does not match a sign-in started here/, { inResponseTo: other.authnRequest.id });
    });

    it('a replayed response', async () => {
      const { agent, authnRequest } = await toIdp();
      const form = await idp.respond(authnRequest, { nameId: 'frank', email: 'frank@acme.test' });
      const firstCallback = await postToAcs(agent, form);
      const replayCallback = await postToAcs(agent, form);
      // The first answer signs in (we stop before following on to /auth, so the interaction still exists).
      const first = await agent.request(new URL(firstCallback.headers.get('location')!, server.url).toString());
      expect(first.status).toBe(303);
      expect(first.headers.get('location')).toContain('/auth/');
      const replay = await resume(agent, replayCallback);
      expectRefused(replay, /already used/);
    });

    it('a response carried to another browser (login CSRF): the interaction cookie is not there', async () => {
      const { authnRequest } = await toIdp();
      const form = await idp.respond(authnRequest, { nameId: 'mallory', email: 'mallory@acme.test' });
      const victim = new UserAgent();
      await startInteraction(victim, app);
      const page = await resume(victim, await postToAcs(victim, form));
      expect(page.url.startsWith(redirectUri)).toBe(false);
      expect(page.status).toBe(400);
      expect(await server.services.accounts.repository.findByEmail('mallory@acme.test')).toBeUndefined();
    });

    it('an unsolicited (IdP-initiated) response: off by default', async () => {
      const form = await idp.respond(undefined, { nameId: 'eve', email: 'eve@acme.test' });
      const response = await new UserAgent().request(form.acsUrl, { form: { SAMLResponse: form.SAMLResponse } });
      expect(response.status).toBe(400);
      expect(response.$('[role=alert]').text()).toMatch(/must start from the application/);
    });

    it('a failed sign-in at the IdP: a page that offers to try again or sign in another way', async () => {
      const end = await refusedWith((form) => form, /reported an error/, { status: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed' });
      expect(end.$(`a[href*="/federated/${connection.id}?client_id="]`).text()).toMatch(/Try again/);
      expect(
        end
          .$('a')
          .filter((_, a) => /Sign in another way/.test(end.$(a).text()))
          .attr('href'),
      ).toMatch(/^\/interaction\/[^/?]+\?client_id=/);
    });
  });

  it('sends the AuthnRequest with the POST binding when the IdP only offers it', async () => {
    const postIdp = await TestSamlIdp.start({ binding: 'post' });
    try {
      const created = await server.services.federation.connectionSetup.createSaml({
        organizationId,
        enabledByOperator: true,
        name: 'Acme Okta',
        metadata: { xml: postIdp.metadataXml },
        enforceSso: false,
        signAuthnRequests: true,
      });
      postIdp.trust(await (await fetch(created.metadataUrl)).text());
      const agent = new UserAgent();
      const { uid, request } = await startInteraction(agent, app);
      const page = await beginFederated(agent, server.url, uid, created.id, 'olga@acme.test');
      expect(page.status).toBe(200);
      const formElement = page.$('form[data-auto-submit]');
      expect(formElement.attr('action')).toBe(`${postIdp.baseUrl}/sso`);
      const fields = Object.fromEntries(
        formElement
          .find('input')
          .map((_, input) => [[page.$(input).attr('name')!, page.$(input).attr('value')!]])
          .get() as [string, string][],
      );
      const authnRequest = await postIdp.parseRequest({ fields });
      expect(authnRequest.subjectNameId).toBe('olga@acme.test');
      const form = await postIdp.respond(authnRequest, { nameId: 'olga', email: 'olga@acme.test' });
      const end = await resume(agent, await postToAcs(agent, form));
      expect(end.url.startsWith(redirectUri)).toBe(true);
      await exchangeCode(app.config, end.url, request);
    } finally {
      await postIdp.close();
    }
  });
});
