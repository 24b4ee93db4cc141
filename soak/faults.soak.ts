import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createDatabase } from '../src/db/database.ts';
import { freePort } from '../src/db/embedded-postgres.ts';
import { createLogger } from '../src/log.ts';
import { createServices } from '../src/services.ts';
import { OwnPostgres } from '../test/helpers/own-postgres.ts';
import { AnswerLog, followPatiently, formSubmission, signInPatiently, tokenRequest, tokenRequestPatiently } from '../test/helpers/patient-journey.ts';
import { ServerProcess, testSecretsEnv } from '../test/helpers/processes.ts';
import { authorizationRequest, discover, redirectUri } from '../test/helpers/relying-party.ts';
import { loopbackCertificate, nginxBinary, ReverseProxy } from '../test/helpers/reverse-proxy.ts';
import { SmtpSink } from '../test/helpers/smtp-sink.ts';
import { UserAgent } from '../test/helpers/user-agent.ts';

/**
 * `npm run soak`: two instances behind nginx on one PostgreSQL, under sign-ins, refreshes,
 * client_credentials and forgot-password mails for SOAK_SECONDS (60); PostgreSQL fast-restarted at
 * a quarter of the run, one instance killed with -9 at 60 % and started again. Prints errors by
 * kind, lost or duplicated mails, refresh chains still valid and recovery times, and fails on any
 * 500, lost or duplicated mail or broken chain.
 */
const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const mailEvery = Number(process.env.SOAK_MAIL_EVERY ?? 5);
const password = 'soak test passphrase 2026';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!nginxBinary)('soak: load and faults', () => {
  const dataDirs: string[] = [];
  let postgres: OwnPostgres;
  let sink: SmtpSink;
  let proxy: ReverseProxy;
  let ports: number[];
  let env: Record<string, string>;
  const instances: ServerProcess[] = [];
  let clientId: string;
  let clientSecret: string;
  const accounts = Array.from({ length: 8 }, (_, index) => `soak-${index}@example.com`);

  const startInstance = (port: number) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'signin-soak-'));
    dataDirs.push(dataDir);
    return ServerProcess.start(port, { ...env, DATA_DIR: dataDir });
  };

  beforeAll(async () => {
    const tls = await loopbackCertificate();
    setGlobalDispatcher(new Agent({ connect: { ca: tls.cert } }));
    postgres = await OwnPostgres.start();
    sink = await SmtpSink.start();
    const proxyPort = await ReverseProxy.port();
    ports = [await freePort(), await freePort()];
    env = {
      ...testSecretsEnv,
      DATABASE_URL: postgres.url,
      ISSUER: `https://127.0.0.1:${proxyPort}`,
      TRUST_PROXY: 'true',
      SMTP_URL: sink.url,
      BCRYPT_COST: '4',
    };
    instances.push(await startInstance(ports[0]!), await startInstance(ports[1]!));
    proxy = await ReverseProxy.start(proxyPort, ports, tls);
    const db = createDatabase(postgres.url, createLogger('silent'), { maxConnections: 2 });
    const config = loadConfig(
      { NODE_ENV: 'test' },
      {
        databaseUrl: postgres.url,
        issuer: env.ISSUER,
        cookieSecrets: [testSecretsEnv.COOKIE_SECRETS],
        keyEncryptionSecret: testSecretsEnv.KEY_ENCRYPTION_SECRET,
        passwordPeppers: [testSecretsEnv.PASSWORD_PEPPERS],
        bcryptCost: 4,
      },
    );
    const services = createServices(config, db);
    const registered = await services.oidc.clients.create(db, {
      name: 'Soak App',
      redirectUris: [redirectUri],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      firstParty: true,
    });
    clientId = registered.clientId;
    clientSecret = registered.clientSecret!;
    for (const email of accounts) await services.accounts.service.createAccount({ email, password, emailVerified: true });
    await db.destroy();
  });
  afterAll(async () => {
    await proxy?.stop();
    for (const instance of instances) await instance.stop();
    await sink?.close();
    await postgres?.destroy();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it(`runs ${seconds} s of traffic through a PostgreSQL restart and an instance killed`, async () => {
    const config = await discover(proxy.url, clientId, clientSecret);
    const tokenEndpoint = `${proxy.url}/token`;
    const answers = new AnswerLog();
    const failures = new Map<string, number>();
    const fail = (kind: string) => failures.set(kind, (failures.get(kind) ?? 0) + 1);
    const mailsAsked = new Map<string, number>();
    const chains: string[] = [];
    const counts = { signIns: 0, refreshes: 0, clientCredentials: 0, mails: 0 };
    const deadline = Date.now() + seconds * 1000;
    // 503 (the database away) and nginx's 502 (a request in flight on the instance killed) are tried again, as an app would.
    const transient = (status: number) => status === 503 || status === 502;
    const patience = { log: answers, attempts: 120, retryDelayMs: 250, transient };
    const patiently = (send: () => ReturnType<typeof tokenRequest>) => tokenRequestPatiently(send, 120, 250, transient);

    const signIns = async (worker: number) => {
      for (let round = 0; Date.now() < deadline; round += 1) {
        const email = accounts[(worker + round * 2) % accounts.length]!;
        try {
          const request = await authorizationRequest(config, { scope: 'openid offline_access' });
          const callback = await signInPatiently(new UserAgent(), request, email, password, patience);
          const tokens = await patiently(() =>
            tokenRequest(
              tokenEndpoint,
              clientId,
              clientSecret,
              {
                grant_type: 'authorization_code',
                code: new URL(callback).searchParams.get('code')!,
                redirect_uri: redirectUri,
                code_verifier: request.codeVerifier,
              },
              answers,
            ),
          );
          if (tokens.status !== 200) fail(`code exchange ${tokens.status} ${String(tokens.body.error)}`);
          else chains.push(tokens.body.refresh_token as string);
          counts.signIns += 1;
          // Below the per-IP forgot-password limit (20 per 15 minutes): every request of the soak comes from one address.
          if (counts.signIns % mailEvery === 0 && counts.mails < 18) {
            const to = `mail-${counts.signIns}@example.com`;
            const mailer = new UserAgent();
            const form = await followPatiently(mailer, `${proxy.url}/forgot-password`, {}, patience);
            const submission = formSubmission(form, 'form[action="/forgot-password"]', { email: to });
            const sent = await followPatiently(mailer, submission.url, submission.init, patience);
            if (sent.status === 200) mailsAsked.set(to, (mailsAsked.get(to) ?? 0) + 1);
            else fail(`forgot-password ${sent.status}`);
            counts.mails += 1;
          }
        } catch (error) {
          fail(`sign-in: ${error instanceof Error ? error.message.slice(0, 80) : String(error)}`);
        }
      }
    };

    const refreshes = async () => {
      while (Date.now() < deadline) {
        const index = chains.length ? Math.floor(Math.random() * chains.length) : -1;
        if (index < 0) {
          await pause(100);
          continue;
        }
        const answer = await patiently(() =>
          tokenRequest(tokenEndpoint, clientId, clientSecret, { grant_type: 'refresh_token', refresh_token: chains[index]! }, answers),
        );
        if (answer.status === 200) chains[index] = answer.body.refresh_token as string;
        else fail(`refresh ${answer.status} ${String(answer.body.error)}`);
        counts.refreshes += 1;
      }
    };

    const clientCredentials = async () => {
      while (Date.now() < deadline) {
        const answer = await patiently(() => tokenRequest(tokenEndpoint, clientId, clientSecret, { grant_type: 'client_credentials' }, answers));
        if (answer.status !== 200) fail(`client_credentials ${answer.status} ${String(answer.body.error)}`);
        counts.clientCredentials += 1;
        await pause(20);
      }
    };

    const recovery: Record<string, number> = {};
    const readyAgain = async () => {
      const started = Date.now();
      while (
        (await fetch(`${proxy.url}/readyz`).then(
          (response) => response.status,
          () => 0,
        )) !== 200
      )
        await pause(100);
      return Date.now() - started;
    };
    const faults = async () => {
      await pause(seconds * 250);
      await postgres.stop();
      await pause(2000);
      await postgres.start();
      recovery.postgresRestartMs = await readyAgain();
      await pause(Math.max(0, deadline - Date.now() - seconds * 400));
      instances[0]!.signal('SIGKILL');
      await instances[0]!.exited();
      const restarted = Date.now();
      instances[0] = await startInstance(ports[0]!);
      recovery.killedInstanceBackMs = Date.now() - restarted;
    };

    await Promise.all([signIns(0), signIns(1), refreshes(), clientCredentials(), faults()]);

    // Every mail asked for arrives once (the queue outlives the restart and the kill).
    const mailWait = Date.now() + 60_000;
    while (Date.now() < mailWait && [...mailsAsked.keys()].some((to) => sink.to(to).length === 0)) await pause(250);
    const lostMails = [...mailsAsked.keys()].filter((to) => sink.to(to).length === 0).length;
    const duplicatedMails = [...mailsAsked.keys()].filter((to) => sink.to(to).length > 1).length;
    // Each refresh chain still works at the end.
    let validChains = 0;
    for (const token of chains) {
      const answer = await patiently(() => tokenRequest(tokenEndpoint, clientId, clientSecret, { grant_type: 'refresh_token', refresh_token: token }));
      if (answer.status === 200) validChains += 1;
    }

    const report = {
      seconds,
      ...counts,
      answersByStatus: Object.fromEntries([...answers.statuses].sort(([a], [b]) => a - b)),
      unavailableWithoutRetryAfter: answers.unavailableWithoutRetryAfter,
      slowestAnswerMs: answers.slowestMs,
      errorsByKind: Object.fromEntries(failures),
      mails: { asked: mailsAsked.size, lost: lostMails, duplicated: duplicatedMails },
      refreshChains: { total: chains.length, valid: validChains },
      recovery,
    };
    console.log(`soak report\n${JSON.stringify(report, null, 2)}`);
    expect(answers.count((status) => status >= 500 && !transient(status))).toBe(0);
    expect(answers.unavailableWithoutRetryAfter).toBe(0);
    expect(report.mails).toMatchObject({ lost: 0, duplicated: 0 });
    expect(validChains).toBe(chains.length);
    expect(failures.size).toBe(0);
  });
});
