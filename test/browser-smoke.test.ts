import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { browserAvailable, browserSkipReason, launchBrowser, screenshot } from './helpers/browser.ts';
import { authorizationRequest, redirectUri, registerRelyingParty } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

describe.skipIf(!browserAvailable)(`sign-in in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    await server.services.accounts.service.createAccount({ email: 'grace@example.com', password: 'compilers 1952', emailVerified: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('reaches the app callback after typing email and password', async () => {
    const app = await registerRelyingParty(server);
    const request = await authorizationRequest(app.config);
    const page = await browser.newPage();
    // The app's callback does not exist: intercept it instead of letting Chromium fail to connect.
    let callback: string | undefined;
    await page.route(`${redirectUri}**`, async (route) => {
      callback = route.request().url();
      await route.fulfill({ status: 200, body: 'app' });
    });
    await page.goto(request.url);
    await screenshot(page, 'smoke-sign-in');
    await page.getByLabel('Email address').fill('grace@example.com');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill('compilers 1952');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${redirectUri}**`);
    expect(new URL(callback!).searchParams.get('code')).toBeTruthy();
  });
});
