import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/admin/admin-principal.ts';
import { claimDailyRun } from '../src/db/daily-jobs.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import { pinnedUpstreamFetch } from '../src/federation/upstream-document-fetch.ts';
import type { RunningServer } from '../src/server.ts';
import { TestDnsServer } from './helpers/dns-server.ts';
import { beginFederated, postToAcs, resume, startInteraction } from './helpers/federation-journey.ts';
import { startServerWithMail } from './helpers/mail-server.ts';
import { cliRunner, testSecretsEnv } from './helpers/processes.ts';
import { redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { TestSamlIdp } from './helpers/saml-idp.ts';
import type { SmtpSink } from './helpers/smtp-sink.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';
import { UserAgent } from './helpers/user-agent.ts';

const refusedUrl = { code: 'federation.upstream_url_refused', status: 400 };

describe('guided SSO setup: domains, SSRF-safe metadata, draft connections and their test sign-in, enforced SSO with break glass', () => {
  let server: RunningServer & { databaseUrl: string };
  let sink: SmtpSink;
  let closeMail: () => Promise<void>;
  let dns: TestDnsServer;
  let idp: TestSamlIdp;
  let env: Record<string, string>;
  const { cli, cliJson } = cliRunner(() => env);

  beforeAll(async () => {
    dns = await new TestDnsServer().start();
    idp = await TestSamlIdp.start();
    const started = await startServerWithMail({
      overrides: { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET, dnsServers: [dns.address] },
    });
    ({ server, sink } = started);
    closeMail = () => started.close();
    env = { NODE_ENV: 'test', DATABASE_URL: server.databaseUrl, ISSUER: server.services.config.issuer, DNS_SERVERS: dns.address, ...testSecretsEnv };
  });
  afterAll(async () => {
    await closeMail?.();
    await idp?.close();
    await dns?.close();
  });

  /** An owner of the organization, with an account (and, when asked, an authenticator app). */
  async function owner(organizationId: string, email: string, options: { totp?: boolean } = {}) {
    const account = await server.services.accounts.service.createAccount({ email, password: 'correct horse battery staple', emailVerified: true });
    await server.services.admin.organizationAdmins.grant(cliActor, organizationId, { email, role: 'owner' });
    if (options.totp) {
      const enrolment = (await server.services.factors.service.beginTotp(account.id, email))!;
      expect((await server.services.factors.service.confirmTotp(account.id, totpCodeAt(enrolment.secret, new Date()))).confirmed).toBe(true);
    }
    return account;
  }

  describe('domains', () => {
    it('refuses public suffixes and free-mail domains, with a typed code (CLI too)', async () => {
      const { organizationService } = server.services.orgs;
      await expect(organizationService.create({ name: 'Suffix', domains: ['co.uk'], verifiedByOperator: false })).rejects.toMatchObject({
        code: 'orgs.domain_public_suffix',
        status: 400,
      });
      const organization = await organizationService.create({ name: 'Claimer', domains: [], verifiedByOperator: false });
      await expect(organizationService.addDomain(organization.id, 'github.io')).rejects.toMatchObject({ code: 'orgs.domain_public_suffix' });
      await expect(organizationService.addDomain(organization.id, 'gmail.com')).rejects.toMatchObject({ code: 'orgs.domain_free_mail' });
      await expect(organizationService.addDomain(organization.id, 'mail.yahoo.fr')).rejects.toMatchObject({ code: 'orgs.domain_free_mail' });
      expect((await organizationService.addDomain(organization.id, 'claimer.co.uk')).domain).toBe('claimer.co.uk');

      const refused = await cli('domains', 'claim', '--org', 'Claimer', '--domain', 'outlook.com');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/free email provider/);
      const listed = await cliJson<Array<{ domain: string; verified: boolean }>>('domains', 'list', '--org', 'Claimer');
      expect(listed.map((claim) => claim.domain)).toEqual(['claimer.co.uk']);
    });

    it('a daily job is claimed by one instance a day, however many ask at once', async () => {
      const claims = await Promise.all([1, 2, 3, 4].map(() => claimDailyRun(server.services.db, 'sso-setup-test-job')));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await claimDailyRun(server.services.db, 'sso-setup-test-job')).toBe(false);
    });

    it('a domain whose TXT record is gone stops routing at the daily re-check, and its owners are mailed', async () => {
      const { organizationService } = server.services.orgs;
      const organization = await organizationService.create({ name: 'Lapsed', domains: ['lapsed.test'], verifiedByOperator: false });
      const claim = organization.domains[0]!;
      dns.setTxt(claim.record.name, [claim.record.value]);
      await organizationService.verifyDomain(organization.id, 'lapsed.test', { force: false });
      const connection = await server.services.federation.connectionSetup.createSaml({
        organizationId: organization.id,
        enabledByOperator: true,
        name: 'Lapsed IdP',
        metadata: { xml: idp.metadataXml },
        enforceSso: false,
        signAuthnRequests: true,
      });
      await owner(organization.id, 'owner@lapsed.test');
      const { homeRealmDiscovery } = server.services.hrd;
      expect(await homeRealmDiscovery.discover('staff@lapsed.test')).toEqual({ kind: 'federated', connectionId: connection.id });

      // Still published: nothing changes.
      expect((await server.services.sso.domainRecheck.run()).lost).toEqual([]);
      dns.setTxt(claim.record.name, []);
      expect((await server.services.sso.domainRecheck.run()).lost).toEqual(['lapsed.test']);
      expect(await homeRealmDiscovery.discover('staff@lapsed.test')).toEqual({ kind: 'password' });
      const mail = await sink.waitFor('owner@lapsed.test');
      expect(mail.subject).toBe('lapsed.test is no longer verified');
      expect(mail.text).toContain(claim.record.value);
      // Published again, the owner verifies it once more.
      dns.setTxt(claim.record.name, [claim.record.value]);
      await organizationService.verifyDomain(organization.id, 'lapsed.test', { force: false });
      expect(await homeRealmDiscovery.discover('staff@lapsed.test')).toMatchObject({ kind: 'federated' });
    });
  });

  describe('metadata and discovery fetched without reaching our own network', () => {
    let strict: RunningServer & { databaseUrl: string };
    let local: Server;
    let localUrl: string;
    let organizationId: string;

    beforeAll(async () => {
      dns.setAddress('internal.sso.test', '127.0.0.1');
      strict = await startTestServer({
        databaseUrl: server.databaseUrl,
        overrides: {
          cookieSecrets: [testSecretsEnv.COOKIE_SECRETS],
          keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET,
          allowInsecureUpstreams: false,
          dnsServers: [dns.address],
        },
      });
      local = createServer((request, response) => {
        if (request.url === '/redirect') response.writeHead(302, { location: idp.metadataUrl }).end();
        else if (request.url === '/huge') response.writeHead(200, { 'content-type': 'application/xml' }).end('<a>'.padEnd(2 * 1024 * 1024, ' '));
        else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
      localUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
      organizationId = (await server.services.orgs.organizationService.create({ name: 'Fetcher', domains: [], verifiedByOperator: false })).id;
    });
    afterAll(async () => {
      await strict?.close();
      if (local) await new Promise((resolve) => local.close(resolve));
    });

    const samlFrom = (running: RunningServer, url: string) =>
      running.services.federation.connectionSetup.createSaml({
        organizationId,
        name: 'Fetched',
        metadata: { url },
        enforceSso: false,
        signAuthnRequests: true,
      });

    it.each([
      ['plain http', 'http://idp.example.test/metadata', /must use https/],
      ['loopback', 'https://127.0.0.1:8443/metadata', /127\.0\.0\.1, which is not a public address/],
      ['IPv6 loopback', 'https://[::1]/metadata', /::1, which is not a public address/],
      ['link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
      ['private', 'https://10.1.2.3/metadata', /10\.1\.2\.3/],
      ['a name resolving to loopback', 'https://internal.sso.test/metadata', /internal\.sso\.test resolves to 127\.0\.0\.1/],
    ])('refuses %s', async (_kind, url, message) => {
      const refusal = samlFrom(strict, url);
      await expect(refusal).rejects.toMatchObject(refusedUrl);
      await expect(refusal).rejects.toThrow(message);
    });

    it.each([
      ['plain http', 'http://idp.example.test/token', /must use https/],
      ['loopback', 'https://127.0.0.1:8443/token', /127\.0\.0\.1, which is not a public address/],
      ['link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
      ['a name resolving to loopback, checked when connecting', 'https://internal.sso.test/token', /internal\.sso\.test resolves to 127\.0\.0\.1/],
    ])('refuses %s for the requests a sign-in makes to an OIDC upstream (token, userinfo, JWKS)', async (_kind, url, message) => {
      const upstreamFetch = pinnedUpstreamFetch({ allowInsecure: false, dnsServers: [dns.address] });
      await expect(upstreamFetch(url, { method: 'POST' })).rejects.toThrow(message);
    });

    it('sends the requests an OIDC sign-in makes to its upstream (discovery, token, JWKS) through the address-checked fetch', async () => {
      // Only the service's own DNS knows this name: a request made with the plain fetch would not resolve it.
      dns.setAddress('idp.wired.test', '127.0.0.1');
      const upstream = await UpstreamOidcProvider.listen('', 'idp.wired.test');
      try {
        const clientSecret = 'wired-client-secret-0123456789abcdef';
        const wired = await server.services.orgs.organizationService.create({ name: 'Wired', domains: ['wired.test'], verifiedByOperator: true });
        const connection = await server.services.federation.connectionSetup.createOidc({
          organizationId: wired.id,
          enabledByOperator: true,
          name: 'Wired IdP',
          issuer: upstream.issuer,
          clientId: 'signin-service',
          clientSecret,
          enforceSso: false,
        });
        await upstream.configure({
          clients: [
            {
              client_id: 'signin-service',
              client_secret: clientSecret,
              redirect_uris: [connection.redirectUri],
              grant_types: ['authorization_code'],
              response_types: ['code'],
            },
          ],
          account: { sub: 'wired-1', claims: { email: 'wire@wired.test', email_verified: true, name: 'Wire' } },
        });
        const app = await registerRelyingParty(server);
        const agent = new UserAgent();
        const { uid } = await startInteraction(agent, app);
        const begun = await beginFederated(agent, server.url, uid, connection.id);
        // The browser reaches the upstream on the address the name stands for.
        const viaLoopback = (url: string) => url.replace('//idp.wired.test:', '//127.0.0.1:');
        let location = begun.headers.get('location')!;
        expect(location.startsWith(`${upstream.issuer}/auth?`)).toBe(true);
        while (!location.startsWith(server.url)) {
          const hop = await agent.request(viaLoopback(location));
          location = new URL(hop.headers.get('location')!, viaLoopback(location)).toString();
        }
        const end = await resume(agent, await agent.request(location));
        expect(end.url.startsWith(redirectUri), end.$('main').text().replace(/\s+/g, ' ')).toBe(true);
      } finally {
        await upstream.close();
      }
    });

    it('says at sign-in that the company IdP is set up with a refused address, not that it is unreachable', async () => {
      const connection = await server.services.federation.connectionSetup.createOidc({
        organizationId,
        enabledByOperator: true,
        name: 'Loopback IdP',
        issuer: 'https://127.0.0.1:9/nowhere',
        clientId: 'x',
        clientSecret: 'y',
        enforceSso: false,
      });
      const app = await registerRelyingParty(strict);
      const agent = new UserAgent();
      const { uid } = await startInteraction(agent, app);
      const begun = await beginFederated(agent, strict.url, uid, connection.id);
      const page = await agent.follow(new URL(begun.headers.get('location')!, strict.url).toString());
      expect(page.status).toBe(502);
      expect(page.$('[role=alert]').text()).toMatch(/set up with an address this service does not reach/);
    });

    it('sign-in requests to an OIDC upstream follow no redirect, and reach loopback only where insecure upstreams are allowed', async () => {
      const upstreamFetch = pinnedUpstreamFetch({ allowInsecure: true, dnsServers: [dns.address] });
      const redirected = await upstreamFetch(`${localUrl}/redirect`, { method: 'GET' });
      expect(redirected.status).toBe(302);
      const named = await upstreamFetch(`${localUrl.replace('127.0.0.1', 'internal.sso.test')}/missing`, { method: 'GET' });
      expect(named.status).toBe(404);
    });

    it('follows no redirect and reads no oversized document, even where http and loopback are allowed', async () => {
      await expect(samlFrom(server, `${localUrl}/redirect`)).rejects.toThrow(/redirects \(HTTP 302\)/);
      await expect(samlFrom(server, `${localUrl}/huge`)).rejects.toMatchObject(refusedUrl);
      await expect(samlFrom(server, `${localUrl}/missing`)).rejects.toMatchObject({ code: 'federation.upstream_document_unreachable', status: 502 });
    });

    it('refuses metadata with a DTD (XXE), from a file through the CLI too', async () => {
      const xxe = `<?xml version="1.0"?>\n<!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${idp.metadataXml.replace(/^<\?xml[^>]*>\s*/, '').replace('entityID="', 'entityID="&xxe;')}`;
      await expect(
        server.services.federation.connectionSetup.createSaml({
          organizationId,
          name: 'XXE',
          metadata: { xml: xxe },
          enforceSso: false,
          signAuthnRequests: true,
        }),
      ).rejects.toMatchObject({ code: 'federation.saml_metadata_invalid', message: expect.stringMatching(/DTD/) });
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'xxe-')), 'metadata.xml');
      writeFileSync(file, xxe);
      const refused = await cli('connections', 'add', '--org', 'Fetcher', '--metadata-file', file);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/DTD/);
    });

    it('creates OIDC connections from the issuer’s discovery document only', async () => {
      const upstream = await UpstreamOidcProvider.start({ clients: [] });
      try {
        const created = await server.services.federation.connectionSetup.createOidc({
          organizationId,
          name: 'Discovered',
          issuer: upstream.issuer,
          clientId: 'signin',
          clientSecret: 'a-client-secret-value',
          enforceSso: false,
        });
        expect(created.draft).toBe(true);
      } finally {
        await upstream.close();
      }
      await expect(
        server.services.federation.connectionSetup.createOidc({
          organizationId,
          name: 'No discovery',
          issuer: idp.baseUrl,
          clientId: 'c',
          clientSecret: 's',
          enforceSso: false,
        }),
      ).rejects.toMatchObject({ code: 'federation.upstream_document_unreachable' });
      await expect(
        strict.services.federation.connectionSetup.createOidc({
          organizationId,
          name: 'Internal',
          issuer: 'https://10.0.0.8',
          clientId: 'c',
          clientSecret: 's',
          enforceSso: false,
        }),
      ).rejects.toMatchObject(refusedUrl);
    });
  });

  describe('a draft connection, its test sign-in, enabling it and enforcing SSO', () => {
    let organizationId: string;
    let connectionId: string;

    beforeAll(async () => {
      organizationId = (await server.services.orgs.organizationService.create({ name: 'Draftco', domains: ['draftco.test'], verifiedByOperator: true })).id;
      const created = await cliJson<{ id: string; draft: boolean; metadata_url: string; attribute_preset: string | null }>(
        'connections',
        'add',
        '--org',
        'Draftco',
        '--metadata-url',
        idp.metadataUrl,
        '--preset',
        'okta',
      );
      expect(created).toMatchObject({ draft: true, attribute_preset: 'okta' });
      connectionId = created.id;
      idp.trust(await (await fetch(created.metadata_url)).text());
    });

    it('is not routed to, cannot be enabled, and SSO cannot be enforced, before a successful test', async () => {
      expect(await server.services.hrd.homeRealmDiscovery.discover('ann@draftco.test')).toEqual({ kind: 'password' });
      const enable = await cli('connections', 'enable', '--connection', connectionId);
      expect(enable.code).not.toBe(0);
      expect(enable.stderr).toMatch(/test sign-in/);
      await expect(server.services.sso.enforcement.enforce(organizationId, 'anyone@draftco.test')).rejects.toMatchObject({ code: 'orgs.sso_not_ready' });
      // A draft's sign-in URL is not usable by a sign-in either.
      const stray = await new UserAgent().request(`${server.url}/federation/test/${connectionId}?ticket=forged`);
      expect(stray.status).toBe(404);
    });

    it('runs the real flow against the IdP and shows the claims received, signing nobody in', async () => {
      const { open } = await cliJson<{ open: string }>('connections', 'test', '--connection', connectionId);
      const agent = new UserAgent();
      const start = await agent.request(open);
      expect(start.status).toBe(303);
      const authnRequest = await idp.parseRequest({ url: start.headers.get('location')! });
      const form = await idp.respond(authnRequest, {
        nameId: 'ann@draftco.test',
        email: 'ann@draftco.test',
        givenName: 'Ann',
        attributeNames: { email: 'email', givenName: 'firstName' },
      });
      const back = await postToAcs(agent, form);
      expect(back.status).toBe(303);
      const location = new URL(back.headers.get('location')!, back.url).toString();
      expect(location).toMatch(new RegExp(`/federation/test/${connectionId}/result\\?callback=`));
      const result = await agent.request(location);
      expect(result.status, result.body.slice(0, 800)).toBe(200);
      expect(result.$('h1').text()).toBe('Test sign-in succeeded');
      const mapped = result.$('table').first().text();
      expect(mapped).toContain('ann@draftco.test');
      expect(mapped).toContain('Ann');
      expect(result.$('table').last().text()).toContain('firstName');
      // Nobody signed in: no account, no session.
      expect(await server.services.accounts.repository.findByEmail('ann@draftco.test')).toBeUndefined();
      expect((await agent.jar.getCookies(server.url)).map((cookie) => cookie.key)).not.toContain('_session');
      // The same answer cannot be shown (or recorded) twice.
      expect((await agent.request(location)).status).toBe(400);

      const shown = await cliJson<{ testedAt: string; testClaims: { email: string } }>('connections', 'show', '--connection', connectionId);
      expect(shown.testClaims.email).toBe('ann@draftco.test');
    });

    it('once tested, is enabled and routed to; SSO is enforced only with a break-glass owner who has a second factor', async () => {
      expect((await cliJson<{ enabled: boolean }>('connections', 'enable', '--connection', connectionId)).enabled).toBe(true);
      const { homeRealmDiscovery, ssoEnforcement } = server.services.hrd;
      expect(await homeRealmDiscovery.discover('ann@draftco.test')).toEqual({ kind: 'federated', connectionId });

      const { enforcement } = server.services.sso;
      await expect(enforcement.enforce(organizationId, undefined)).rejects.toMatchObject({ code: 'orgs.break_glass_required' });
      await server.services.accounts.service.createAccount({ email: 'member@draftco.test', password: 'correct horse battery staple', emailVerified: true });
      await expect(enforcement.enforce(organizationId, 'member@draftco.test')).rejects.toMatchObject({ code: 'orgs.break_glass_invalid' });
      await owner(organizationId, 'nofactor@draftco.test');
      await expect(enforcement.enforce(organizationId, 'nofactor@draftco.test')).rejects.toMatchObject({ code: 'orgs.break_glass_invalid' });
      const keeper = await owner(organizationId, 'keeper@draftco.test', { totp: true });

      const enforced = await cliJson<{ ssoEnforced: boolean; breakGlass: { accountId: string } }>(
        'orgs',
        'enforce-sso',
        '--org',
        'Draftco',
        '--break-glass',
        'keeper@draftco.test',
      );
      expect(enforced).toMatchObject({ ssoEnforced: true, breakGlass: { accountId: keeper.id } });
      expect(await ssoEnforcement.requiredFor('member@draftco.test')).toMatchObject({ connectionId });
      // The break-glass owner keeps the password page (and the second factor the journey asks of an account with one).
      expect(await homeRealmDiscovery.discover('keeper@draftco.test')).toEqual({ kind: 'password' });
      expect(await ssoEnforcement.requiredFor('keeper@draftco.test', keeper.id)).toBeUndefined();
    });

    it('shows certificate expiry, mails owners 30 and 7 days before (once each), and refreshes metadata from its URL', async () => {
      const [certificate] = await server.services.federation.connectionSetup.certificateExpiries(connectionId);
      expect(certificate!.notAfter.getTime()).toBeGreaterThan(Date.now());
      const daysBefore = (days: number) => new Date(certificate!.notAfter.getTime() - days * 86_400_000 + 60_000);
      const { samlMaintenance } = server.services.sso;
      const run = async (now: Date) => {
        const result = await samlMaintenance.run(now);
        return { refreshed: result.refreshed, notices: result.notices.filter((notice) => notice.connectionId === connectionId) };
      };

      const first = await run(daysBefore(20));
      expect(first.refreshed).toContain(connectionId);
      expect(first.notices).toEqual([{ connectionId, days: 30 }]);
      expect((await run(daysBefore(19))).notices).toEqual([]);
      expect((await run(daysBefore(5))).notices).toEqual([{ connectionId, days: 7 }]);
      const mail = await sink.waitFor('keeper@draftco.test', 2);
      expect(mail.subject).toMatch(/expires in \d+ days/);
    });
  });
});
