import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, browserSkipReason, launchBrowser, screenshot } from './helpers/browser.ts';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { authorizationRequest, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';

describe.skipIf(!browserAvailable)(`account journeys in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let env: ServerWithMail;
  let app: TestClient;
  let browser: Browser;

  beforeAll(async () => {
    env = await startServerWithMail();
    app = await registerRelyingParty(env.server);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  /** A page that starts signing in to the app; the app's callback is intercepted and recorded. */
  async function startSignIn(): Promise<{ page: Page; interaction: string; callback: () => string | undefined }> {
    const page = await browser.newPage();
    let callback: string | undefined;
    await page.route(`${redirectUri}**`, async (route) => {
      callback = route.request().url();
      await route.fulfill({ status: 200, body: 'app' });
    });
    await page.goto((await authorizationRequest(app.config)).url);
    const interaction = new URL(page.url()).pathname.split('/')[2]!;
    return { page, interaction, callback: () => callback };
  }

  async function finishSignIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${redirectUri}**`);
  }

  it('resets a forgotten password from the sign-in page and signs in with the new one', async () => {
    await env.server.services.accountService.createAccount({ email: 'grace@example.com', password: 'compilers 1952 cobol', name: 'Grace Hopper', emailVerified: true });
    const { page, interaction, callback } = await startSignIn();

    // The sign-in page links here with the interaction and the email typed.
    await page.goto(`${env.server.url}/forgot-password?interaction=${interaction}&email=grace%40example.com`);
    await expect.poll(() => page.getByLabel('Email address').inputValue()).toBe('grace@example.com');
    await screenshot(page, 'forgot-password-1-form');
    await page.getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await screenshot(page, 'forgot-password-2-check-email');

    const mail = await env.sink.waitFor('grace@example.com');
    await page.goto(linkTo(mail, '/reset-password'));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password').fill('password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('too common').waitFor();
    await screenshot(page, 'forgot-password-3-refused');
    await page.getByLabel('New password').fill('nanoseconds of wire');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Your password was changed' }).waitFor();
    await screenshot(page, 'forgot-password-4-done');

    await page.getByRole('link', { name: 'Continue signing in' }).click();
    await finishSignIn(page, 'grace@example.com', 'nanoseconds of wire');
    expect(new URL(callback()!).searchParams.get('code')).toBeTruthy();
    expect((await env.sink.waitFor('grace@example.com', 2)).subject).toBe('Your password was changed');
  });

  it('signs up, confirms the address from the mail and goes on to the app', async () => {
    const { page, interaction, callback } = await startSignIn();
    await page.goto(`${env.server.url}/signup?interaction=${interaction}`);
    await screenshot(page, 'signup-1-form');
    await page.getByLabel('Full name').fill('Margaret Hamilton');
    await page.getByLabel('Email address').fill('margaret@example.com');
    await page.getByLabel('Password', { exact: true }).fill('apollo guidance 1969');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await screenshot(page, 'signup-2-check-email');

    await page.getByRole('link', { name: 'Did not receive the email?' }).click();
    await page.getByRole('heading', { name: 'Did not receive the email?' }).waitFor();
    await screenshot(page, 'signup-3-email-help');

    const mail = await env.sink.waitFor('margaret@example.com');
    await page.goto(linkTo(mail, '/signup/verify'));
    await screenshot(page, 'signup-4-confirm');
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.getByRole('heading', { name: 'Email address confirmed' }).waitFor();
    await screenshot(page, 'signup-5-confirmed');
    await page.getByRole('link', { name: 'Continue signing in' }).click();
    await finishSignIn(page, 'margaret@example.com', 'apollo guidance 1969');
    expect(new URL(callback()!).searchParams.get('code')).toBeTruthy();
    expect((await env.server.services.accounts.findByEmail('margaret@example.com'))?.email_verified).toBe(true);
  });
});
