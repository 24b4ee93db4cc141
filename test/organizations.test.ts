import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { TestDnsServer } from './helpers/dns-server.ts';
import { startInteraction } from './helpers/federation-journey.ts';
import { cliRunner, testSecretsEnv } from './helpers/processes.ts';
import { registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { TestSamlIdp } from './helpers/saml-idp.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';
import { UserAgent } from './helpers/user-agent.ts';

interface OrganizationOutput {
  id: string;
  name: string;
  domains: { domain: string; verified: boolean; record: { name: string; value: string } }[];
}

describe('organizations, proven domains, home-realm discovery and enforced SSO (CLI and DNS on loopback)', () => {
  let server: RunningServer & { databaseUrl: string };
  let dns: TestDnsServer;
  let idp: TestSamlIdp;
  let env: Record<string, string>;
  let app: TestClient;

  // The in-process server shares the database and the secrets with the CLI.
  const { cli, cliJson } = cliRunner(() => env);

  beforeAll(async () => {
    dns = await new TestDnsServer().start();
    idp = await TestSamlIdp.start();
    server = await startTestServer({
      overrides: { cookieSecrets: [testSecretsEnv.COOKIE_SECRETS], keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET, dnsServers: [dns.address] },
    });
    env = { NODE_ENV: 'test', DATABASE_URL: server.databaseUrl, ISSUER: server.services.config.issuer, DNS_SERVERS: dns.address, ...testSecretsEnv };
    app = await registerRelyingParty(server);
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
    await dns?.close();
  });

  it('routes a domain only once a TXT record proves it, and prints what the IdP needs', async () => {
    const organization = await cliJson<OrganizationOutput>('orgs', 'create', '--name', 'Initech', '--domain', 'Initech.test');
    expect(organization.domains).toEqual([
      {
        domain: 'initech.test',
        verified: false,
        record: { name: '_signin-verification.initech.test', value: expect.stringMatching(/^signin-verification=[\w-]{32}$/) },
      },
    ]);
    const metadataFile = path.join(mkdtempSync(path.join(tmpdir(), 'idp-')), 'metadata.xml');
    writeFileSync(metadataFile, idp.metadataXml);
    const connection = await cliJson<{ id: string; sp_entity_id: string; acs_url: string; metadata_url: string }>(
      'connections',
      'create-saml',
      '--org',
      'Initech',
      '--metadata-file',
      metadataFile,
      '--enabled',
    );
    const issuer = server.services.config.issuer;
    expect(connection).toMatchObject({
      sp_entity_id: `${issuer}/federation/${connection.id}/saml/metadata`,
      acs_url: `${issuer}/federation/${connection.id}/saml/acs`,
      metadata_url: `${issuer}/federation/${connection.id}/saml/metadata`,
    });
    expect((await fetch(connection.metadata_url)).status).toBe(200);

    // Claimed but unproven: users of the domain still sign in with a password.
    expect(await server.services.hrd.homeRealmDiscovery.discover('peter@initech.test')).toEqual({ kind: 'password' });

    const missing = await cli('orgs', 'verify-domain', '--org', organization.id, '--domain', 'initech.test');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`Error: No TXT record _signin-verification.initech.test with value ${organization.domains[0]!.record.value}`);

    dns.setTxt('_signin-verification.initech.test', ['signin-verification=someone-elses-token']);
    expect((await cli('orgs', 'verify-domain', '--org', organization.id, '--domain', 'initech.test')).code).toBe(1);
    expect(await server.services.hrd.homeRealmDiscovery.discover('peter@initech.test')).toEqual({ kind: 'password' });

    dns.setTxt('_signin-verification.initech.test', ['v=spf1 -all', organization.domains[0]!.record.value]);
    const verified = await cliJson<{ verified: boolean }>('orgs', 'verify-domain', '--org', 'Initech', '--domain', 'initech.test');
    expect(verified.verified).toBe(true);
    expect(await server.services.hrd.homeRealmDiscovery.discover('Peter@INITECH.test')).toEqual({ kind: 'federated', connectionId: connection.id });
    expect(await server.services.hrd.homeRealmDiscovery.discoverDomain!('initech.test')).toEqual({ kind: 'federated', connectionId: connection.id });
    expect(await server.services.hrd.homeRealmDiscovery.discover('peter@sub.initech.test')).toEqual({ kind: 'password' });
  });

  it('a domain belongs to one organization at most, even for an operator', async () => {
    await cliJson('orgs', 'create', '--name', 'Umbrella', '--domain', 'umbrella.test', '--verified');
    const rival = await cliJson<OrganizationOutput>('orgs', 'create', '--name', 'Umbrella Impostor', '--domain', 'umbrella.test');
    dns.setTxt('_signin-verification.umbrella.test', [rival.domains[0]!.record.value]);
    const viaDns = await cli('orgs', 'verify-domain', '--org', rival.id, '--domain', 'umbrella.test');
    expect(viaDns.code).toBe(1);
    expect(viaDns.stderr).toMatch(/Another organization has already verified umbrella\.test/);
    expect((await cli('orgs', 'verify-domain', '--org', rival.id, '--domain', 'umbrella.test', '--force')).code).toBe(1);
    const again = await cli('orgs', 'create', '--name', 'Umbrella 2', '--domain', 'umbrella.test', '--verified');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Another organization has already verified umbrella\.test/);
  });

  it('an operator can mark a domain verified without DNS; bad input is one line, exit 2', async () => {
    const organization = await cliJson<OrganizationOutput>('orgs', 'create', '--name', 'Hooli', '--domain', 'hooli.test');
    expect((await cliJson<{ verified: boolean }>('orgs', 'verify-domain', '--org', organization.id, '--domain', 'hooli.test', '--force')).verified).toBe(true);
    const bad = await cli('orgs', 'create', '--name', 'X', '--domain', 'not a domain');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--domain.*must be a domain name/);
    const both = await cli('connections', 'create-saml', '--org', 'Hooli', '--metadata-url', idp.metadataUrl, '--metadata-file', '/dev/null');
    expect(both.code).toBe(2);
    const unknown = await cli('connections', 'create-saml', '--org', 'Nobody', '--metadata-url', idp.metadataUrl);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No organization Nobody/);
  });

  it('connections create-saml reads metadata from a URL; create-oidc prints the redirect URI and keeps the secret encrypted', async () => {
    await cliJson('orgs', 'create', '--name', 'Vandelay', '--domain', 'vandelay.test', '--verified');
    const saml = await cliJson<{ id: string; idp_entity_id: string }>(
      'connections',
      'create-saml',
      '--org',
      'Vandelay',
      '--metadata-url',
      idp.metadataUrl,
      '--enabled',
    );
    expect(saml.idp_entity_id).toBe(idp.entityId);
    const upstream = await UpstreamOidcProvider.start({ clients: [] });
    try {
      const oidc = await cliJson<{ id: string; redirect_uri: string }>(
        'connections',
        'create-oidc',
        '--org',
        'Vandelay',
        '--issuer',
        upstream.issuer,
        '--client-id',
        'signin',
        '--client-secret',
        'very-secret-value-123',
      );
      expect(oidc.redirect_uri).toBe(`${server.services.config.issuer}/federation/${oidc.id}/callback`);
      const row = await server.services.db.selectFrom('federation_connections').selectAll().where('id', '=', oidc.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain('very-secret-value-123');
      expect((await server.services.federation.connections.findById(oidc.id))?.secrets.clientSecret).toBe('very-secret-value-123');
    } finally {
      await upstream.close();
    }
    // The organization's first connection is the one its users are sent to.
    expect(await server.services.hrd.homeRealmDiscovery.discover('art@vandelay.test')).toEqual({ kind: 'federated', connectionId: saml.id });
  });

  it('under enforced SSO the password no longer signs the organization’s users in, and forgot-password points to the company sign-in', async () => {
    await cliJson('orgs', 'create', '--name', 'Wayne Enterprises', '--domain', 'wayne.test', '--verified');
    await server.services.accounts.service.createAccount({ email: 'bruce@wayne.test', password: 'i am the night 1939', emailVerified: true });
    await server.services.accounts.service.createAccount({ email: 'alfred@example.test', password: 'butler of the manor', emailVerified: true });

    /** Identifier, then password; returns the answer to the password form (or where the email was sent). */
    const signInWithPassword = async (email: string, password: string) => {
      const agent = new UserAgent();
      const { page } = await startInteraction(agent, app);
      const next = await agent.submit(page, 'form[action*="/identifier"]', { email }, 'http://127.0.0.1:9/callback');
      if (!next.$('form[action*="/password"]').length) return next;
      return agent.submit(next, 'form[action*="/password"]', { password }, 'http://127.0.0.1:9/callback');
    };
    // Before any connection the password works.
    expect((await signInWithPassword('bruce@wayne.test', 'i am the night 1939')).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);

    const connection = await cliJson<{ id: string }>(
      'connections',
      'create-saml',
      '--org',
      'Wayne Enterprises',
      '--metadata-url',
      idp.metadataUrl,
      '--enabled',
      '--enforce-sso',
    );
    // The email page now sends Bruce to the company IdP: no password page at all.
    const agent = new UserAgent();
    const { page, uid } = await startInteraction(agent, app);
    const routed = await agent.request(new URL(page.$('form[action*="/identifier"]').attr('action')!, server.url).toString(), {
      form: { _csrf: page.$('input[name=_csrf]').val() as string, email: 'bruce@wayne.test' },
    });
    expect(routed.headers.get('location')).toBe(`/interaction/${uid}/federated/${connection.id}?client_id=${app.clientId}`);
    expect(await server.services.hrd.ssoEnforcement.requiredFor('bruce@wayne.test')).toMatchObject({ connectionId: connection.id });

    // A member of the organization whose email is elsewhere reaches the password page, where the password is refused.
    const alfred = (await server.services.accounts.repository.findByEmail('alfred@example.test'))!;
    expect(await server.services.hrd.ssoEnforcement.requiredFor(alfred.email, alfred.id)).toBeUndefined();
    const wayne = (await server.services.orgs.organizationService.find('Wayne Enterprises')).id;
    await server.services.orgs.organizations.addMember(server.services.db, wayne, alfred.id);
    // Membership is not revealed to someone without the password: a wrong one gets the usual answer.
    const guessed = await signInWithPassword('alfred@example.test', 'not the right password');
    expect(guessed.$('#password-error').text() + guessed.$('[role=alert]').text()).toMatch(/Incorrect email or password/);
    const refused = await signInWithPassword('alfred@example.test', 'butler of the manor');
    expect(refused.status).toBe(400);
    expect(refused.$('#password-error').text() + refused.$('[role=alert]').text()).toMatch(/requires you to sign in with your company account/);
    expect(refused.$(`a[href$="/federated/${connection.id}?client_id=${app.clientId}"]`).text()).toMatch(/Continue with company sign-in/);

    // Forgot password: no reset link, the company sign-in instead.
    const forgotAgent = new UserAgent();
    const forgotPage = await forgotAgent.follow(`${server.url}/forgot-password?email=bruce%40wayne.test`);
    const answer = await forgotAgent.submit(forgotPage, 'form', { email: 'bruce@wayne.test' });
    expect(answer.$('h1').text()).toBe('Use your company sign-in');
    expect(answer.$('[role=status]').text()).toMatch(/signs you in with your company account/);
    expect(await server.services.db.selectFrom('outgoing_mails').select('id').execute()).toHaveLength(0);

    // Nor by forgot password: a member's address outside the domain gets the answer any address gets.
    const memberAgent = new UserAgent();
    const memberForgot = await memberAgent.follow(`${server.url}/forgot-password`);
    const memberAnswer = await memberAgent.submit(memberForgot, 'form', { email: 'alfred@example.test' });
    const strangerAgent = new UserAgent();
    const strangerAnswer = await strangerAgent.submit(await strangerAgent.follow(`${server.url}/forgot-password`), 'form', { email: 'nobody@example.test' });
    expect(memberAnswer.$('h1').text()).toBe(strangerAnswer.$('h1').text());
    expect(memberAnswer.$('h1').text()).not.toBe('Use your company sign-in');
  });
});
