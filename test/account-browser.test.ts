import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, browserSkipReason, launchBrowser, screenshot } from './helpers/browser.ts';
import { linkTo, type ServerWithMail, startServerWithMail } from './helpers/mail-server.ts';
import { authorizationRequest, redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';

// Low limits, so that the pages shown when they are reached can be seen.
const rateLimits = {
  login: { perAccountAndIp: { points: 3, durationSeconds: 600 }, perIp: { points: 100, durationSeconds: 600 } },
  forgotPassword: { perEmail: { points: 2, durationSeconds: 600 }, perIp: { points: 100, durationSeconds: 600 } },
  signUp: { perEmail: { points: 5, durationSeconds: 600 }, perIp: { points: 100, durationSeconds: 600 } },
};

describe.skipIf(!browserAvailable)(`account journeys in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let env: ServerWithMail;
  let app: TestClient;
  let browser: Browser;

  beforeAll(async () => {
    env = await startServerWithMail({ overrides: { rateLimits } });
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

  /** The email step (unless the sign-in is already at the password step for that email), then the password step. */
  async function finishSignIn(page: Page, email: string, password: string): Promise<void> {
    const passwordField = page.getByLabel('Password', { exact: true });
    await page.getByLabel('Email address').or(passwordField).first().waitFor();
    if (await page.getByLabel('Email address').isVisible()) {
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Continue' }).click();
    }
    await page.getByRole('heading', { name: 'Enter your password' }).waitFor();
    expect(await page.locator('.identity-email').textContent()).toBe(email);
    await passwordField.fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${redirectUri}**`);
  }

  it('resets a forgotten password from the sign-in page and signs in with the new one', async () => {
    await env.server.services.accounts.service.createAccount({
      email: 'grace@example.com',
      password: 'compilers 1952 cobol',
      name: 'Grace Hopper',
      emailVerified: true,
    });
    const { page, interaction, callback } = await startSignIn();
    await page.getByLabel('Email address').fill('grace@example.com');
    await page.getByRole('button', { name: 'Continue' }).click();

    // The password page links here with the interaction and the email typed.
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    expect(new URL(page.url()).searchParams.get('interaction')).toBe(interaction);
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
    // The error is announced with the field, which keeps the focus for a new try.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('password');
    expect(await page.getByLabel('New password').getAttribute('aria-describedby')).toContain('password-error');
    await screenshot(page, 'forgot-password-3-refused');
    await page.getByLabel('New password').fill('nanoseconds of wire');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Your password was changed' }).waitFor();
    await screenshot(page, 'forgot-password-4-done');

    const resetLink = page.url();
    await page.getByRole('link', { name: 'Continue signing in' }).click();
    await finishSignIn(page, 'grace@example.com', 'nanoseconds of wire');
    expect(new URL(callback()!).searchParams.get('code')).toBeTruthy();
    expect((await env.sink.waitFor('grace@example.com', 2)).subject).toBe('Your password was changed');

    const used = await browser.newPage();
    await used.goto(resetLink);
    await used.getByRole('heading', { name: 'This link can no longer be used' }).waitFor();
    await screenshot(used, 'forgot-password-5-link-used');
  });

  it('signs up, confirms the address from the mail and goes on to the app', async () => {
    const { page, interaction, callback } = await startSignIn();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    expect(new URL(page.url()).searchParams.get('interaction')).toBe(interaction);
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
    expect((await env.server.services.accounts.repository.findByEmail('margaret@example.com'))?.email_verified).toBe(true);
  });

  it('shows the other account pages in the same style: too many attempts, invitation, French, mail outbox, small screen', async () => {
    await env.server.services.accounts.service.createAccount({ email: 'ada@example.com', password: 'analytical engine 1843', emailVerified: true });
    const { page, interaction, callback } = await startSignIn();
    await page.getByLabel('Email address').fill('ada@example.com');
    await page.getByRole('button', { name: 'Continue' }).click();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await page.getByLabel('Password', { exact: true }).fill('a wrong guess');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Incorrect email or password.').waitFor();
    }
    // Blocked: still the password page of the same sign-in, the wait tied to the password field.
    await page.getByLabel('Password', { exact: true }).fill('analytical engine 1843');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/^Too many attempts\./).waitFor();
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('aria-describedby')).toBe('password-error');
    expect(new URL(page.url()).pathname).toBe(`/interaction/${interaction}/password`);
    await screenshot(page, 'sign-in-too-many-attempts');

    // Too many reset requests: a page that leads back into the sign-in.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await page.goto(`${env.server.url}/forgot-password?interaction=${interaction}&email=ada%40example.com`);
      await page.getByRole('button', { name: 'Reset password' }).click();
      await page.getByRole('heading', { name: attempt < 2 ? 'Check your email' : 'Please wait a moment' }).waitFor();
    }
    await screenshot(page, 'forgot-password-too-many-attempts');
    await page.getByRole('link', { name: 'Continue signing in' }).click();
    await page.getByRole('heading', { name: 'Enter your password' }).waitFor();
    expect(callback()).toBeUndefined();

    await env.server.services.selfService.invitations.invite({ email: 'hedy@example.com', name: 'Hedy Lamarr', locale: 'en' });
    const invited = await browser.newPage();
    await invited.goto(linkTo(await env.sink.waitFor('hedy@example.com'), '/invitation'));
    await invited.getByRole('heading', { name: 'Welcome!' }).waitFor();
    await screenshot(invited, 'invitation-1-set-password');
    await invited.getByLabel('New password').fill('frequency hopping 1942');
    await invited.getByRole('button', { name: 'Set password' }).click();
    await invited.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    await screenshot(invited, 'invitation-2-done');

    const french = await browser.newPage({ locale: 'fr-FR' });
    await french.goto(`${env.server.url}/forgot-password`);
    await french.getByRole('heading', { name: 'Mot de passe oublié ?' }).waitFor();
    await french.getByRole('button', { name: 'Réinitialiser le mot de passe' }).click();
    await french.getByText('Saisissez une adresse e-mail valide').waitFor();
    await screenshot(french, 'forgot-password-fr-error');

    const outbox = await browser.newPage();
    await outbox.goto(`${env.server.url}/dev/mail`);
    await outbox.getByRole('heading', { name: 'Outgoing mail (development)' }).waitFor();
    // The mail text opens from the keyboard.
    await outbox.locator('.outbox-mail summary').first().focus();
    await outbox.keyboard.press('Enter');
    await outbox.locator('.outbox-mail pre').first().waitFor();
    await screenshot(outbox, 'dev-mail-outbox');

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${env.server.url}/signup`);
    await phone.getByRole('button', { name: 'Create account' }).click();
    await phone.getByText('Enter your name.').waitFor();
    await screenshot(phone, 'signup-mobile-errors');
  });
});
