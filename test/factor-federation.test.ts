import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrValues } from '../src/factors/assurance.ts';
import { totpCodeAt } from '../src/factors/totp.ts';
import type { RunningServer } from '../src/server.ts';
import { resume, startInteraction, upstreamAnswer } from './helpers/federation-journey.ts';
import { exchangeCode, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';
import { connectHooli, UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';
import { UserAgent } from './helpers/user-agent.ts';

describe('a company sign-in passes the same factor policy', () => {
  let server: RunningServer;
  let companyIdp: UpstreamOidcProvider;
  let connectionId: string;
  let app: TestClient;
  let accountId: string;
  let secret: string;

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
    companyIdp = await UpstreamOidcProvider.listen();
    connectionId = await connectHooli(server.services, companyIdp, {
      account: { sub: 'hooli-0001', claims: { email: 'gavin@hooli.test', email_verified: true }, login: { amr: ['pwd', 'mfa'] } },
      claims: { openid: ['sub', 'amr', 'acr'], email: ['email', 'email_verified'], profile: ['name'] },
    });
    // First company sign-in creates the account; it then sets up an authenticator app.
    const agent = new UserAgent();
    const started = await startInteraction(agent, app);
    const end = await throughCompany(agent, started.uid);
    accountId = (await exchangeCode(app.config, end.url, started.request)).claims()!.sub;
    const enrolment = (await server.services.factors.service.beginTotp(accountId, 'gavin@hooli.test'))!;
    secret = enrolment.secret;
    expect((await server.services.factors.service.confirmTotp(accountId, totpCodeAt(secret, new Date(Date.now() - 30_000)))).confirmed).toBe(true);
  });
  afterAll(async () => {
    await companyIdp?.close();
    await server?.close();
  });

  async function throughCompany(agent: UserAgent, uid: string) {
    const toCompany = await agent.request(`${server.url}/interaction/${uid}/federated/${connectionId}?client_id=${app.clientId}`);
    return resume(agent, await agent.request((await upstreamAnswer(agent, toCompany.headers.get('location')!)).toString()));
  }

  it("asks our factor when the connection does not trust the upstream's amr, and not once it does", async () => {
    let agent = new UserAgent();
    let started = await startInteraction(agent, app);
    const asked = await throughCompany(agent, started.uid);
    expect(asked.$('h1').text()).toBe("Confirm it's you");
    const end = await agent.submit(asked, 'form[action*="/confirm?"]', { code: totpCodeAt(secret, new Date()) }, redirectUri);
    expect((await exchangeCode(app.config, end.url, started.request)).claims()).toMatchObject({
      sub: accountId,
      amr: ['fed', 'otp', 'mfa'],
      acr: acrValues[1],
    });

    await server.services.db.transaction().execute((trx) => server.services.factors.policies.setUpstreamTrust(trx, connectionId, { amr: ['mfa'], acr: [] }));
    agent = new UserAgent();
    started = await startInteraction(agent, app);
    const trusted = await throughCompany(agent, started.uid);
    expect(trusted.url.startsWith(redirectUri), trusted.body.slice(0, 500)).toBe(true);
    expect((await exchangeCode(app.config, trusted.url, started.request)).claims()).toMatchObject({ sub: accountId, amr: ['fed', 'mfa'], acr: acrValues[1] });

    // A value the connection does not list (pwd alone) is not a second factor.
    companyIdp.account = { ...companyIdp.account, login: { amr: ['pwd'] } };
    agent = new UserAgent();
    started = await startInteraction(agent, app);
    expect((await throughCompany(agent, started.uid)).$('h1').text()).toBe("Confirm it's you");
  });
});
