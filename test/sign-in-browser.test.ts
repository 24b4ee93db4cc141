import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { type AppCallbackServer, browserAvailable, browserSkipReason, launchBrowser, screenshot, startAppCallbackServer } from './helpers/browser.ts';
import { authorizationRequest, discover, type TestClient } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

const email = 'grace@example.com';
const password = 'compilers 1952';
// The app's logo comes from a made-up https origin that the browser serves itself (the CSP allows
// https images). Its callback is a real loopback server: Chromium races routed redirect targets.
const logoUri = 'https://app.example.test/logo.svg';
const logoSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="48" viewBox="0 0 180 48">
  <rect width="48" height="48" rx="12" fill="#0f766e"/><path d="M13 33h5V22h-5zm8.5 0h5V14h-5zm8.5 0h5V26h-5z" fill="#fff"/>
  <text x="60" y="32" font-family="Helvetica, Arial, sans-serif" font-size="22" font-weight="700" fill="#0f172a">Analytics</text></svg>`;

const sessionDays = (expires: number) => (expires * 1000 - Date.now()) / 86_400_000;

describe.skipIf(!browserAvailable)(`sign-in pages in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let server: RunningServer;
  let browser: Browser;
  let app: TestClient;
  let thirdPartyApp: TestClient;
  let context: BrowserContext;
  let appServer: AppCallbackServer;
  let redirectUri: string;

  const registerApp = async (name: string, firstParty: boolean): Promise<TestClient> => {
    const { clientId, clientSecret } = await server.services.oidc.clients.create(server.services.db, {
      name,
      redirectUris: [redirectUri],
      firstParty,
      logoUri,
      clientUri: 'https://app.example.test/',
    });
    return { clientId, clientSecret: clientSecret!, config: await discover(server.url, clientId, clientSecret) };
  };

  /** A page in a fresh browser profile, with the app's callback and logo served without any network. */
  const openPage = async (options: { viewport?: { width: number; height: number } } = {}): Promise<Page> => {
    context = await browser.newContext(options.viewport ? { viewport: options.viewport } : {});
    await context.route(logoUri, (route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: logoSvg }));
    return context.newPage();
  };

  const startSignIn = async (page: Page, params: Record<string, string> = {}, relyingParty = app) => {
    await page.goto((await authorizationRequest(relyingParty.config, { redirect_uri: redirectUri, ...params })).url);
  };

  const sessionCookie = async () => (await context.cookies(server.url)).find((cookie) => cookie.name === '_session');

  beforeAll(async () => {
    appServer = await startAppCallbackServer();
    redirectUri = appServer.callbackUrl;
    server = await startTestServer();
    browser = await launchBrowser();
    app = await registerApp('Analytics', true);
    thirdPartyApp = await registerApp('Analytics', false);
    await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
  });
  afterEach(async () => {
    await context?.close();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    appServer?.close();
  });

  it('signs in without "Remember me": the session ends with the browser', async () => {
    const page = await openPage();
    await startSignIn(page);
    await screenshot(page, 'sign-in-identifier');
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Enter your password' }).waitFor();
    await screenshot(page, 'sign-in-password');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText('Incorrect email or password.').isVisible()).toBe(true);
    await screenshot(page, 'sign-in-password-error');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${redirectUri}**`);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    expect((await sessionCookie())?.expires).toBe(-1);
  });

  it('signs in with "Remember me": the session outlives the browser for the configured time', async () => {
    const page = await openPage();
    await startSignIn(page, { login_hint: email });
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Remember me').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${redirectUri}**`);
    const days = sessionDays((await sessionCookie())!.expires);
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
  });

  it('switches to French and stays in French for the next step', async () => {
    const page = await openPage();
    await startSignIn(page);
    await page.getByRole('link', { name: 'Français' }).click();
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await screenshot(page, 'sign-in-identifier-fr');
    await page.getByLabel('Adresse e-mail').fill(email);
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByRole('heading', { name: 'Saisissez votre mot de passe' }).waitFor();
    await expect.poll(() => page.getByLabel('Se rappeler de moi').isVisible()).toBe(true);
    await screenshot(page, 'sign-in-password-fr');
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Enter your password' }).waitFor();
  });

  it('signs in with the keyboard only, with a visible focus on every control', async () => {
    const page = await openPage();
    await startSignIn(page);
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        return {
          name: element.getAttribute('name') ?? element.textContent?.trim(),
          outline: getComputedStyle(element).outlineStyle,
          shadow: getComputedStyle(element).boxShadow,
        };
      });
    // The browser applies autofocus at its next rendering step, which can come after the heading
    // is in the page: wait for the focus to land before typing (under load it is not immediate).
    await expect.poll(async () => (await focused()).name).toBe('email');
    await page.keyboard.type(email);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Enter your password' }).waitFor();
    await expect.poll(async () => (await focused()).name).toBe('password');
    await page.keyboard.type(password);
    await page.keyboard.press('Tab');
    expect((await focused()).name).toBe('remember');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect((await focused()).name).toBe('Forgot password?');
    await page.keyboard.press('Tab');
    const button = await focused();
    expect(button.name).toBe('Sign in');
    expect(button.outline).not.toBe('none');
    await screenshot(page, 'sign-in-keyboard-focus');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${redirectUri}**`);
    expect((await sessionCookie())!.expires).toBeGreaterThan(0);
  });

  it('goes to the "My company ID" page and back to the own-email page', async () => {
    const page = await openPage();
    await startSignIn(page);
    await page.getByRole('link', { name: 'My company ID' }).click();
    await page.getByRole('heading', { name: 'Sign in with your company ID' }).waitFor();
    await screenshot(page, 'sign-in-company-id');
    await page.getByLabel('Company email address').fill('grace@navy.example');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByText('Company sign-in is not set up for navy.example.').isVisible()).toBe(true);
    await screenshot(page, 'sign-in-company-id-error');
    await page.getByRole('link', { name: 'I have my own email address' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Email address').isVisible()).toBe(true);
  });

  it('shows the remaining pages in the same style: email error, consent, sign-out, expired, small screen', async () => {
    const page = await openPage();
    await startSignIn(page, {}, thirdPartyApp);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByText('Enter your email address.').isVisible()).toBe(true);
    await screenshot(page, 'sign-in-identifier-error');
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await screenshot(page, 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${redirectUri}**`);

    await page.goto(`${server.url}/session/end?client_id=${thirdPartyApp.clientId}`);
    await page.getByRole('heading', { name: 'Sign out' }).waitFor();
    await screenshot(page, 'sign-out');
    await page.getByRole('button', { name: 'Sign out of my account' }).click();
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
    await screenshot(page, 'signed-out');

    await startSignIn(page);
    const uid = /\/interaction\/([^/?]+)/.exec(page.url())![1]!;
    await (await server.host.provider.Interaction.find(uid))!.destroy();
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'This sign-in has expired' }).waitFor();
    expect(await page.getByRole('link', { name: 'Return to Analytics' }).getAttribute('href')).toBe('https://app.example.test/');
    await screenshot(page, 'sign-in-expired');

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await startSignIn(phone);
    await screenshot(phone, 'sign-in-identifier-mobile');
  });
});
