import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import type { RunningServer } from '../src/server.ts';
import { CapturedLog } from './helpers/captured-log.ts';
import { OwnPostgres } from './helpers/own-postgres.ts';
import {
  AnswerLog,
  followPatiently,
  formSubmission,
  signInPatiently,
  type TokenAnswer,
  tokenRequest,
  tokenRequestPatiently,
} from './helpers/patient-journey.ts';
import { authorizationRequest, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';
import { startTestServer } from './helpers/test-server.ts';
import { until } from './helpers/until.ts';
import { UserAgent } from './helpers/user-agent.ts';

const email = 'hedy@example.com';
const password = 'frequency hopping 1942';
/** What the service promises while the database is away: an answer, and that quickly. */
const answerWithinMs = 5_000;

describe('PostgreSQL going away and coming back', () => {
  const log = new CapturedLog();
  let postgres: OwnPostgres;
  let sink: SmtpSink;
  let server: RunningServer;
  let app: TestClient;
  let machine: TestClient;
  let tokenEndpoint: string;

  beforeAll(async () => {
    postgres = await OwnPostgres.start();
    sink = await SmtpSink.start();
    server = await startTestServer({ databaseUrl: postgres.url, logger: createLogger('info', log), overrides: { smtpUrl: sink.url } });
    app = await registerRelyingParty(server);
    machine = await registerRelyingParty(server, { grantTypes: ['client_credentials'] });
    tokenEndpoint = `${server.url}/token`;
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterAll(async () => {
    await server?.close();
    await sink?.close();
    await postgres?.destroy();
  });

  const refresh = (refreshToken: string, log?: AnswerLog) =>
    tokenRequest(tokenEndpoint, app.clientId, app.clientSecret!, { grant_type: 'refresh_token', refresh_token: refreshToken }, log);
  const clientCredentials = (log?: AnswerLog) =>
    tokenRequest(tokenEndpoint, machine.clientId, machine.clientSecret!, { grant_type: 'client_credentials' }, log);

  async function signInForTokens(options = { log: new AnswerLog() }): Promise<{ refresh_token: string }> {
    const request = await authorizationRequest(app.config);
    const callback = await signInPatiently(new UserAgent(), request, email, password, options);
    const code = new URL(callback).searchParams.get('code')!;
    const answer = await tokenRequestPatiently(() =>
      tokenRequest(
        tokenEndpoint,
        app.clientId,
        app.clientSecret!,
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: request.codeVerifier },
        options.log,
      ),
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as { refresh_token: string };
  }

  async function timed<T>(work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const result = await work();
    expect(Date.now() - started).toBeLessThan(answerWithinMs);
    return result;
  }

  function expectUnavailable(answer: TokenAnswer): void {
    expect(answer.status, JSON.stringify(answer.body)).toBe(503);
    expect(answer.body.error).toBe('temporarily_unavailable');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  }

  it('answers 503 with Retry-After while it is down (pages in English and French, OAuth JSON on the token endpoint), and recovers by itself', async () => {
    const tokens = await signInForTokens();
    // A sign-in started before the outage, to be finished after it.
    const agent = new UserAgent();
    const pending = await authorizationRequest(app.config);
    const emailPage = await agent.follow(pending.url, {}, redirectUri);
    expect(emailPage.status).toBe(200);

    // A client checked out by a request when PostgreSQL goes: before the fix its 'error' ended the process.
    let heldFailure: unknown;
    await server.services.db
      .transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await postgres.stop();
        await sql`select 1`.execute(trx);
      })
      .catch((error: unknown) => (heldFailure = error));
    expect((heldFailure as Error).name).toBe('DatabaseUnavailableError');
    const lost = await until(async () => log.lines.find((line) => line.msg === 'database connection lost'), 'the lost connection logged');
    expect(lost.level).toBe(40);

    const ready = await timed(() => fetch(`${server.url}/readyz`));
    expect(ready.status).toBe(503);

    const page = await timed(() => agent.request(pending.url));
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('5');
    expect(page.$('h1').text()).toBe('Back in a moment');
    const french = await timed(() => new UserAgent({ 'accept-language': 'fr' }).request(pending.url));
    expect(french.status).toBe(503);
    expect(french.$('h1').text()).toBe('De retour dans un instant');

    const identifier = formSubmission(emailPage, 'form[action*="/identifier"]', { email });
    const submitted = await timed(() => agent.request(identifier.url, identifier.init));
    expect(submitted.status).toBe(503);
    expect(submitted.headers.get('retry-after')).toBe('5');

    expectUnavailable(await timed(() => refresh(tokens.refresh_token)));
    expectUnavailable(await timed(() => clientCredentials()));
    const userinfo = await timed(() => fetch(`${server.url}/me`, { headers: { authorization: 'Bearer some-token', accept: 'application/json' } }));
    expect(userinfo.status).toBe(503);
    expect(await userinfo.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(userinfo.headers.get('retry-after')).toBe('5');

    await postgres.start();
    const restarted = Date.now();
    await until(async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : undefined), 'ready again', answerWithinMs);
    expect(Date.now() - restarted).toBeLessThan(answerWithinMs);

    // The sign-in carries on where it was (the email form sent again), and the refresh token of before still works.
    const options = { log: new AnswerLog() };
    const passwordPage = await followPatiently(agent, identifier.url, identifier.init, options);
    const passwordForm = formSubmission(passwordPage, 'form[action*="/password"]', { password });
    const callback = await followPatiently(agent, passwordForm.url, passwordForm.init, options);
    expect(callback.url.startsWith(redirectUri)).toBe(true);
    const refreshed = await refresh(tokens.refresh_token);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(log.lines.filter((line) => line.msg === 'unhandled error')).toEqual([]);
  });

  it('rolls a refresh back entirely when saving the access token fails: the same refresh token works again', async () => {
    const tokens = await signInForTokens();
    const db = server.services.db;
    // The failure of the issue: the old refresh token consumed, its successor saved, then the access token refused.
    await sql`create table refusal (code text not null)`.execute(db);
    await sql`
      create function refuse_access_tokens() returns trigger language plpgsql as $$
      begin raise exception 'refused' using errcode = (select code from refusal); end $$`.execute(db);
    await sql`create trigger refuse_access_tokens before insert on oidc_models for each row when (new.model = 'AccessToken') execute function refuse_access_tokens()`.execute(
      db,
    );
    try {
      // As unavailable (admin shutdown: 503 temporarily_unavailable), then as any other failure (500 server_error).
      for (const [code, status] of [
        ['57P01', 503],
        ['XX000', 500],
      ] as const) {
        await sql`delete from refusal`.execute(db);
        await sql`insert into refusal values (${code})`.execute(db);
        const failed = await refresh(tokens.refresh_token);
        expect(failed.status, JSON.stringify(failed.body)).toBe(status);
      }
    } finally {
      await sql`drop trigger refuse_access_tokens on oidc_models`.execute(db);
      await sql`drop function refuse_access_tokens`.execute(db);
      await sql`drop table refusal`.execute(db);
    }
    const stored = await db
      .selectFrom('oidc_models')
      .select('consumed_at')
      .where('model', '=', 'RefreshToken')
      .where('id', '=', tokens.refresh_token)
      .executeTakeFirstOrThrow();
    expect(stored.consumed_at).toBeNull();
    const retried = await refresh(tokens.refresh_token);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    const next = await refresh(retried.body.refresh_token as string);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
  });

  it('rolls a resume back entirely when saving the code fails: the cookie stays and the same resume URL finishes the sign-in', async () => {
    const db = server.services.db;
    const agent = new UserAgent();
    const request = await authorizationRequest(app.config);
    const emailPage = await agent.follow(request.url, {}, redirectUri);
    const identifier = formSubmission(emailPage, 'form[action*="/identifier"]', { email });
    const passwordPage = await followPatiently(agent, identifier.url, identifier.init, { log: new AnswerLog() });
    const passwordForm = formSubmission(passwordPage, 'form[action*="/password"]', { password });
    const toResume = await agent.request(passwordForm.url, passwordForm.init);
    const resumeUrl = new URL(toResume.headers.get('location')!, passwordForm.url).toString();
    expect(new URL(resumeUrl).pathname).toMatch(/^\/auth\/[^/]+$/);

    // The outage lands after the resume consumed the interaction and cleared its cookie: its connection ends as the code is saved.
    await sql`
      create function refuse_codes() returns trigger language plpgsql as $$
      begin perform pg_terminate_backend(pg_backend_pid()); perform pg_sleep(5); return new; end $$`.execute(db);
    await sql`create trigger refuse_codes before insert on oidc_models for each row when (new.model = 'AuthorizationCode') execute function refuse_codes()`.execute(
      db,
    );
    try {
      const failed = await agent.request(resumeUrl);
      expect(failed.status).toBe(503);
      expect(failed.headers.getSetCookie()).toEqual([]);
    } finally {
      await sql`drop trigger refuse_codes on oidc_models`.execute(db);
      await sql`drop function refuse_codes`.execute(db);
    }
    const retried = await agent.request(resumeUrl);
    const callback = new URL(retried.headers.get('location')!);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('keeps sign-ins, refresh chains and queued mail whole through a restart in the middle of traffic', async () => {
    const answers = new AnswerLog();
    const chains = await Promise.all([1, 2, 3, 4].map(() => signInForTokens()));
    const latest = chains.map((tokens) => tokens.refresh_token);
    const mailed: string[] = [];
    let traffic = true;

    const refreshLoop = async (index: number) => {
      while (traffic) {
        const answer = await refresh(latest[index]!, answers);
        if (answer.status === 200) latest[index] = answer.body.refresh_token as string;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const signInLoop = async () => {
      let signIns = 0;
      while (traffic) {
        await signInPatiently(new UserAgent(), await authorizationRequest(app.config), email, password, { log: answers });
        signIns += 1;
      }
      return signIns;
    };
    const mailLoop = async () => {
      for (let index = 0; traffic; index += 1) {
        const to = `reset-${index}@example.com`;
        const mailer = new UserAgent();
        const form = await followPatiently(mailer, `${server.url}/forgot-password`, {}, { log: answers });
        const submission = formSubmission(form, 'form[action="/forgot-password"]', { email: to });
        const sent = await followPatiently(mailer, submission.url, submission.init, { log: answers, attempts: 1 });
        if (sent.status === 200) mailed.push(to);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    };

    const running = Promise.all([refreshLoop(0), refreshLoop(1), refreshLoop(2), refreshLoop(3), signInLoop(), mailLoop()]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    await postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await postgres.start();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    traffic = false;
    const [, , , , signIns] = await running;

    expect(signIns).toBeGreaterThan(0);
    expect(answers.count((status) => status >= 500 && status !== 503)).toBe(0);
    expect(answers.count((status) => status === 503)).toBeGreaterThan(0);
    expect(answers.unavailableWithoutRetryAfter).toBe(0);
    expect(answers.slowestMs).toBeLessThan(answerWithinMs);
    // Every chain goes on from the last refresh token the app received.
    for (const refreshToken of latest) expect((await refresh(refreshToken)).status).toBe(200);
    // Every reset the person was told about arrives, once.
    expect(mailed.length).toBeGreaterThan(0);
    for (const to of mailed) await sink.waitFor(to);
    await until(
      async () =>
        (await server.services.db.selectFrom('outgoing_mails').select('id').where('status', '=', 'pending').execute()).length === 0 ? true : undefined,
      'the queue drained',
    );
    const received = sink.messages.flatMap((mail) => mail.to).filter((to) => to.startsWith('reset-'));
    expect(received.length).toBe(new Set(received).size);
    expect(received).toEqual(expect.arrayContaining(mailed));
  });
});
