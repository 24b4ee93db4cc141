import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FactorDecision, SignInAttempt } from '../src/journey/factor-policy.ts';
import type { JourneyFactorPolicy, JourneyStepDefinition } from '../src/journey/flow.ts';
import type { JourneyStep } from '../src/journey/state.ts';
import type { RunningServer } from '../src/server.ts';
import { clickSocialButton, resume, startInteraction, upstreamAnswer } from './helpers/federation-journey.ts';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { discover, exchangeCode, redirectUri, type TestClient } from './helpers/relying-party.ts';
import { enterEmail } from './helpers/sign-in.ts';
import { closeSocialStandIns, configureSocialStandIns, listenSocialStandIns, type SocialStandIns, socialSettings } from './helpers/social-upstreams.ts';
import { connectHooli, UpstreamOidcProvider } from './helpers/upstream-oidc-provider.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

/** Records every sign-in it is asked about; holds them at `hold` (a step) while one is set. */
class RecordingFactorPolicy implements JourneyFactorPolicy {
  attempts: SignInAttempt[] = [];
  hold: JourneyStep | undefined;
  /** The saved steps its stand-in step was told about, as sign-ins were sent to it. */
  entered: JourneyStep[] = [];
  /** A step the policy brings along (standing in for a second factor, shown at the password step's saved state). */
  readonly steps: JourneyStepDefinition[] = [
    {
      shows: ['password'],
      routes: [
        {
          method: 'get',
          path: '/stand-in',
          handler: (flow) => {
            flow.ctx.body = `stand-in step, at ${flow.state.at?.step}`;
          },
        },
      ],
      enter: (_flow, at) => {
        this.entered.push(at);
        return Promise.resolve();
      },
    },
  ];

  decide(attempt: SignInAttempt): Promise<FactorDecision> {
    this.attempts.push(attempt);
    return Promise.resolve(this.hold ? { kind: 'step', step: this.hold } : { kind: 'complete' });
  }
}

describe('the sign-in journey: every way in ends in completeSignIn', () => {
  const policy = new RecordingFactorPolicy();
  const initiateLoginUri = 'https://app.example.test/login';
  let withMail: ServerWithMail;
  let server: RunningServer;
  let standIns: SocialStandIns;
  let companyIdp: UpstreamOidcProvider;
  let companyConnectionId: string;
  let app: TestClient;

  beforeAll(async () => {
    standIns = await listenSocialStandIns();
    withMail = await startServerWithMail({ overrides: { social: socialSettings(standIns) }, factorPolicy: policy });
    server = withMail.server;
    await configureSocialStandIns(standIns, server.url);
    const { clientId, clientSecret } = await server.services.oidc.clients.create(server.services.db, {
      name: 'Ledger',
      redirectUris: [redirectUri],
      firstParty: true,
      initiateLoginUri,
    });
    app = { clientId, config: await discover(server.url, clientId, clientSecret) };

    companyIdp = await UpstreamOidcProvider.listen();
    companyConnectionId = await connectHooli(server.services, companyIdp, {
      account: { sub: 'hooli-0001', claims: { email: 'gavin@hooli.test', email_verified: true, name: 'Gavin Belson' } },
    });
  });
  afterAll(async () => {
    await companyIdp?.close();
    await closeSocialStandIns(standIns);
    await withMail?.close();
  });
  beforeEach(() => {
    policy.attempts = [];
    policy.hold = undefined;
    policy.entered = [];
  });

  /** The ID token's claims of a sign-in that reached the app. */
  async function idTokenAt(end: PageResponse, request: Awaited<ReturnType<typeof startInteraction>>['request']) {
    expect(end.url.startsWith(redirectUri), end.body.slice(0, 800)).toBe(true);
    return (await exchangeCode(app.config, end.url, request)).claims()!;
  }

  /** From the sign-in page, through a social provider (Google stand-in), back to the resume URL and on. */
  async function throughGoogle(agent: UserAgent, page: PageResponse) {
    const callback = await upstreamAnswer(agent, await clickSocialButton(agent, page, 'google'));
    return resume(agent, await agent.request(callback.toString()));
  }

  async function withGoogleAccount<T>(account: SocialStandIns['google']['account'], run: () => Promise<T>): Promise<T> {
    const previous = standIns.google.account;
    standIns.google.account = account;
    try {
      return await run();
    } finally {
      standIns.google.account = previous;
    }
  }

  it('asks the factor policy on every way in, and hands amr and acr to the app', async () => {
    await server.services.accounts.service.createAccount({ email: 'richard@piedpiper.test', password: 'middle out 2014', emailVerified: true });

    // Password.
    let agent = new UserAgent();
    let started = await startInteraction(agent, app);
    const passwordPage = await enterEmail(agent, started.page, 'richard@piedpiper.test');
    let end = await agent.submit(passwordPage, 'form[action*="/password"]', { password: 'middle out 2014' }, redirectUri);
    expect(await idTokenAt(end, started.request)).toMatchObject({ amr: ['pwd'], acr: 'urn:signin:acr:1fa' });

    // Social (a new verified identity).
    agent = new UserAgent();
    started = await startInteraction(agent, app);
    end = await withGoogleAccount({ sub: 'google-dinesh', claims: { email: 'dinesh@gmail.test', email_verified: true } }, () =>
      throughGoogle(agent, started.page),
    );
    expect(await idTokenAt(end, started.request)).toMatchObject({ amr: ['fed'], acr: 'urn:signin:acr:1fa' });

    // Company sign-in.
    agent = new UserAgent();
    started = await startInteraction(agent, app);
    const toCompany = await agent.request(`${server.url}/interaction/${started.uid}/federated/${companyConnectionId}?client_id=${app.clientId}`);
    end = await resume(agent, await agent.request((await upstreamAnswer(agent, toCompany.headers.get('location')!)).toString()));
    expect(await idTokenAt(end, started.request)).toMatchObject({ amr: ['fed'] });

    // Social, confirming an unverified email by a mailed link.
    agent = new UserAgent();
    started = await startInteraction(agent, app);
    const asked = await withGoogleAccount({ sub: 'google-monica', claims: { email_verified: false } }, () => throughGoogle(agent, started.page));
    await agent.submit(asked, 'form[action*="/social/confirm-email/send?"]', { email: 'monica@raviga.test' });
    const link = linkTo(await withMail.sink.waitFor('monica@raviga.test'), `/interaction/${started.uid}/social/confirm-email`);
    end = await agent.submit(await agent.request(link), 'form[action*="/social/confirm-email?"]', {}, redirectUri);
    expect(await idTokenAt(end, started.request)).toMatchObject({ amr: ['fed'] });

    const accountOf = async (email: string) => (await server.services.accounts.repository.findByEmail(email))!.id;
    expect(policy.attempts).toEqual([
      {
        account: expect.objectContaining({ id: await accountOf('richard@piedpiper.test') }),
        method: { kind: 'password', amr: ['pwd'], remember: false },
        clientId: app.clientId,
      },
      {
        account: expect.objectContaining({ id: await accountOf('dinesh@gmail.test') }),
        method: { kind: 'federated', amr: ['fed'], remember: false, connectionId: 'social-google' },
        clientId: app.clientId,
      },
      {
        account: expect.objectContaining({ id: await accountOf('gavin@hooli.test') }),
        method: { kind: 'federated', amr: ['fed'], remember: undefined, connectionId: companyConnectionId },
        clientId: app.clientId,
      },
      {
        account: expect.objectContaining({ id: await accountOf('monica@raviga.test') }),
        method: { kind: 'social_email', amr: ['fed'], remember: false, connectionId: 'social-google' },
        clientId: app.clientId,
      },
    ]);
  });

  it('links a pending social identity only once the sign-in is complete: not on a wrong password, not while a step is still asked', async () => {
    const account = await server.services.accounts.service.createAccount({ email: 'jared@piedpiper.test', password: 'donald dunn 1979', emailVerified: true });
    const identities = () => server.services.federation.identities.listOfAccount(account.id);
    const agent = new UserAgent();
    const started = await startInteraction(agent, app);
    const asked = await withGoogleAccount({ sub: 'google-jared', claims: { email: 'jared@piedpiper.test', email_verified: true } }, () =>
      throughGoogle(agent, started.page),
    );
    expect(asked.$('[role=status]').text()).toMatch(/sign in to link it/);

    const wrong = await agent.submit(asked, 'form[action*="/password"]', { password: 'not the password' }, redirectUri);
    expect(wrong.status).toBe(400);
    expect(await identities()).toHaveLength(0);
    expect(policy.attempts).toHaveLength(0);

    // The policy holds the sign-in at a step (standing in for a second factor): no code for the app, no link yet.
    policy.hold = { step: 'password', email: 'jared@piedpiper.test' };
    const held = await agent.request(new URL(wrong.$('form[action*="/password"]').attr('action')!, server.url).toString(), {
      form: { _csrf: String(wrong.$('input[name=_csrf]').val()), username: 'jared@piedpiper.test', password: 'donald dunn 1979' },
    });
    expect(held.status).toBe(303);
    expect(held.headers.get('location')).toBe(`/interaction/${started.uid}?client_id=${app.clientId}`);
    expect(await identities()).toHaveLength(0);

    policy.hold = undefined;
    const page = await agent.follow(new URL(held.headers.get('location')!, server.url).toString());
    expect(page.$('[role=status]').text()).toMatch(/sign in to link it/);
    const end = await agent.submit(page, 'form[action*="/password"]', { password: 'donald dunn 1979' }, redirectUri);
    expect((await idTokenAt(end, started.request)).sub).toBe(account.id);
    expect(await identities()).toMatchObject([{ connection_id: 'social-google', subject: 'google-jared' }]);
    expect(policy.attempts).toHaveLength(2);
  });

  it('mounts the steps the factor policy brings, and tells one when a sign-in is sent to it (no JourneyDeps member, no app.ts line)', async () => {
    await server.services.accounts.service.createAccount({ email: 'monica@piedpiper.test', password: 'raviga capital 2015', emailVerified: true });
    const agent = new UserAgent();
    const started = await startInteraction(agent, app);
    const passwordPage = await enterEmail(agent, started.page, 'monica@piedpiper.test');
    policy.hold = { step: 'password', email: 'monica@piedpiper.test' };
    const held = await agent.request(new URL(passwordPage.$('form[action*="/password"]').attr('action')!, server.url).toString(), {
      form: { _csrf: String(passwordPage.$('input[name=_csrf]').val()), username: 'monica@piedpiper.test', password: 'raviga capital 2015' },
    });
    expect(held.status).toBe(303);
    expect(policy.entered).toEqual([{ step: 'password', email: 'monica@piedpiper.test' }]);

    const standIn = await agent.request(`${server.url}/interaction/${started.uid}/stand-in?client_id=${app.clientId}`);
    expect(standIn.status).toBe(200);
    expect(standIn.body).toBe('stand-in step, at password');
    expect(standIn.headers.get('cache-control')).toBe('no-store');
  });

  it('carries client_id in every interaction URL, so that a page whose interaction is gone leads back to the app', async () => {
    const expectReturnToApp = (page: PageResponse) => {
      expect(page.status, page.body.slice(0, 500)).toBe(400);
      expect(page.$('h1').text()).toBe('This sign-in has expired');
      expect(page.$('a.button').text()).toBe('Return to Ledger');
      expect(page.$('a.button').attr('href')).toBe(`${initiateLoginUri}?iss=${encodeURIComponent(server.services.config.issuer)}`);
    };
    const agent = new UserAgent();
    const started = await startInteraction(agent, app);
    const asked = await withGoogleAccount({ sub: 'google-erlich', claims: { email_verified: false } }, () => throughGoogle(agent, started.page));
    const interactionUrls = [
      ...asked.$('a[href^="/interaction/"]').map((_, link) => asked.$(link).attr('href')),
      ...asked.$('form[action^="/interaction/"]').map((_, form) => asked.$(form).attr('action')),
    ].filter((url): url is string => typeof url === 'string');
    expect(interactionUrls.length).toBeGreaterThan(4);
    for (const url of interactionUrls) expect(new URL(url, server.url).searchParams.get('client_id'), url).toBe(app.clientId);

    await agent.submit(asked, 'form[action*="/social/confirm-email/send?"]', { email: 'erlich@aviato.test' });
    const link = linkTo(await withMail.sink.waitFor('erlich@aviato.test'), `/interaction/${started.uid}/social/confirm-email`);
    expect(new URL(link).searchParams.get('client_id')).toBe(app.clientId);

    // Back from a provider after the interaction is gone: the resume URL still names the app.
    const leaving = new UserAgent();
    const again = await startInteraction(leaving, app);
    const callback = await upstreamAnswer(leaving, await clickSocialButton(leaving, again.page, 'google'));
    await (await server.host.provider.Interaction.find(again.uid))!.destroy();
    expectReturnToApp(await resume(leaving, await leaving.request(callback.toString())));

    // A failure page, and the company sign-in, opened in a browser without the interaction.
    await (await server.host.provider.Interaction.find(started.uid))!.destroy();
    expectReturnToApp(await agent.follow(`${server.url}/interaction/${started.uid}/federated/failed?client_id=${app.clientId}&reason=federation.cancelled`));
    expectReturnToApp(await new UserAgent().follow(`${server.url}/interaction/${started.uid}/federated/${companyConnectionId}?client_id=${app.clientId}`));
  });
});
