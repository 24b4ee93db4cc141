import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { ApacheRelyingParty, apacheBinary } from './helpers/apache-openidc.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { startTestServer } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';
import { UserAgent } from './helpers/user-agent.ts';

if (!apacheBinary)
  console.warn('apache-openidc tests skipped: apache2 with mod_auth_openidc is not installed (apt-get install apache2 libapache2-mod-auth-openidc)');

describe.skipIf(!apacheBinary)("a real relying party: Debian's Apache mod_auth_openidc", () => {
  let server: RunningServer;
  let apache: ApacheRelyingParty;
  let clientId: string;
  const password = 'apache httpd 1995 openidc';

  beforeAll(async () => {
    server = await startTestServer();
    const port = await ApacheRelyingParty.port();
    const redirectUri = ApacheRelyingParty.redirectUri(port);
    const registered = await server.services.oidc.clients.create(server.services.db, {
      name: 'Apache App',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code'],
      firstParty: true,
      isPublic: false,
      backchannelLogoutUri: `${redirectUri}?logout=backchannel`,
      backchannelLogoutSessionRequired: true,
    });
    clientId = registered.clientId;
    apache = await ApacheRelyingParty.start(port, { issuer: server.url, clientId, clientSecret: registered.clientSecret! });
  });
  afterAll(async () => {
    await apache?.stop();
    await server?.close();
  });

  it('signs in through this server, and its session is gone once the person signs out here (back-channel logout)', async () => {
    await server.services.accounts.service.createAccount({ email: 'mae@example.com', password, emailVerified: true });
    const agent = new UserAgent();
    const protectedPage = `${apache.url}/protected/index.html`;
    const identifier = await agent.follow(protectedPage);
    expect(new URL(identifier.url).origin, `${identifier.status} ${identifier.body.slice(0, 300)} ${apache.errorLog.slice(-800)}`).toBe(server.url);
    const passwordPage = await enterEmail(agent, identifier, 'mae@example.com');
    const signedIn = await agent.submit(passwordPage, 'form[action*="/password"]', { password });
    expect({ url: signedIn.url, status: signedIn.status, body: signedIn.body.trim() }).toEqual({ url: protectedPage, status: 200, body: 'protected page' });
    expect((await agent.request(protectedPage)).status).toBe(200);

    // Signing out here (RP-initiated logout at this server, from its own confirmation page).
    const confirmation = await agent.follow(`${server.url}/session/end?client_id=${clientId}`);
    await agent.submit(confirmation, 'form#op\\.logoutForm', { logout: 'yes' });
    await until(
      async () => ((await server.services.oidc.logoutDeliveries.listOfClient(server.services.db, clientId))[0]?.status === 'delivered' ? true : undefined),
      `Apache to accept the logout token (${apache.errorLog.slice(-500)})`,
    );

    // Apache's own session cookie no longer opens the page: it sends the browser to sign in again.
    const after = await agent.request(protectedPage);
    expect(after.status).toBe(302);
    expect(new URL(after.headers.get('location')!).origin).toBe(server.url);
  });
});
