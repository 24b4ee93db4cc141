import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { authorizationRequest, redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { signInThroughBrowserless } from './helpers/sign-in.ts';
import { testSecrets } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

const run = promisify(execFile);
const projectRoot = path.resolve(import.meta.dirname, '..');

describe('invitations from the CLI', () => {
  let env: ServerWithMail;

  beforeAll(async () => {
    env = await startServerWithMail();
  });
  afterAll(() => env?.close());

  /** `npm run cli -- users invite ...` against the test server's database, as an operator would run it. */
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(path.join(projectRoot, 'node_modules/.bin/node'), ['src/cli/main.ts', ...args], {
        cwd: projectRoot,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          DATABASE_URL: env.server.databaseUrl,
          ISSUER: env.server.services.config.issuer,
          COOKIE_SECRETS: testSecrets.cookieSecrets.join(','),
          KEY_ENCRYPTION_SECRET: testSecrets.keyEncryptionSecret,
          DATA_DIR: mkdtempSync(path.join(tmpdir(), 'signin-cli-')),
        },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('invites by email; the link sets a password, which verifies the account, and the person signs in', async () => {
    const result = await cli('users', 'invite', '--email', 'Hedy@Example.com', '--name', 'Hedy Lamarr', '--json');
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as { id: string; email: string; invited: boolean };
    expect(output).toMatchObject({ email: 'hedy@example.com', invited: true });
    const pending = await env.server.services.accounts.repository.findById(output.id);
    expect(pending).toMatchObject({ email_verified: false, password_hash: null, name: 'Hedy Lamarr' });

    // The running server delivers what the CLI queued.
    const mail = await env.sink.waitFor('hedy@example.com');
    expect(mail.subject).toBe('You are invited to create your account');
    expect(mail.text).toContain('Hello Hedy Lamarr,');
    const link = linkTo(mail, '/invitation');
    expect(new URL(link).origin).toBe(env.server.services.config.issuer);

    const agent = new UserAgent();
    const form = await agent.follow(link);
    expect(form.status).toBe(200);
    expect(form.$('h1').text()).toBe('Welcome!');
    expect(form.$('.identity-email').text()).toBe('hedy@example.com');
    const weak = await agent.submit(form, 'form[action="/invitation"]', { password: 'qwertyuiop' });
    expect(weak.status).toBe(400);
    expect(weak.$('#password-error').text()).toContain('too common');
    const done = await agent.submit(weak, 'form[action="/invitation"]', { password: 'frequency hopping 1942' });
    expect(done.status).toBe(200);
    expect(done.$('h1').text()).toBe('Your account is ready');
    expect(await env.server.services.accounts.repository.findById(output.id)).toMatchObject({ email_verified: true });

    const reused = await agent.submit(form, 'form[action="/invitation"]', { password: 'someone else entirely' });
    expect(reused.status).toBe(400);

    const app = await registerRelyingParty(env.server);
    const callback = await signInThroughBrowserless(
      new UserAgent(),
      (await authorizationRequest(app.config)).url,
      'hedy@example.com',
      'frequency hopping 1942',
    );
    expect(callback.url.startsWith(redirectUri)).toBe(true);
  }, 60_000);

  it('sends a new link to a pending invitee (the older one stops working) and refuses an address with a password', async () => {
    expect((await cli('users', 'invite', '--email', 'radia@example.com', '--locale', 'fr', '--json')).code).toBe(0);
    const first = await env.sink.waitFor('radia@example.com');
    expect(first.subject).toBe('Vous êtes invité à créer votre compte');
    await env.server.services.selfService.invitations.invite({ email: 'radia@example.com', locale: 'fr' });
    const second = await env.sink.waitFor('radia@example.com', 2);
    const agent = new UserAgent();
    expect((await agent.follow(linkTo(first, '/invitation'))).status).toBe(400);
    const form = await agent.follow(linkTo(second, '/invitation'));
    expect((await agent.submit(form, 'form[action="/invitation"]', { password: 'spanning tree protocol' })).status).toBe(200);

    const refused = await cli('users', 'invite', '--email', 'radia@example.com', '--json');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already has an account with a password');
  }, 60_000);
});
