import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { type AppCallbackServer, browserAvailable, browserSkipReason, launchBrowser, screenshot, startAppCallbackServer } from './helpers/browser.ts';
import { authorizationRequest, discover, exchangeCode, type TestClient } from './helpers/relying-party.ts';
import { closeSocialStandIns, configureSocialStandIns, listenSocialStandIns, type SocialStandIns, socialSettings } from './helpers/social-upstreams.ts';
import { startTestServer } from './helpers/test-server.ts';

describe.skipIf(!browserAvailable)(`social sign-in in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let server: RunningServer;
  let browser: Browser;
  let standIns: SocialStandIns;
  let app: TestClient;
  let appServer: AppCallbackServer;
  let appCallback: string;

  beforeAll(async () => {
    standIns = await listenSocialStandIns();
    server = await startTestServer({ overrides: { social: socialSettings(standIns) } });
    await configureSocialStandIns(standIns, server.url);
    browser = await launchBrowser();
    appServer = await startAppCallbackServer();
    appCallback = appServer.callbackUrl;
    const registered = await server.services.oidc.clients.create(server.services.db, { name: 'Browser App', redirectUris: [appCallback], firstParty: true });
    app = { clientId: registered.clientId, config: await discover(server.url, registered.clientId, registered.clientSecret) };
  });
  afterAll(async () => {
    await browser?.close();
    await closeSocialStandIns(standIns);
    await server?.close();
    appServer?.close();
  });

  it('shows the provider logos at the bottom of the sign-in page and signs in by clicking one', async () => {
    standIns.google.account = { sub: 'google-browser-1', claims: { email: 'margaret@gmail.test', email_verified: true, name: 'Margaret Hamilton' } };
    const request = await authorizationRequest(app.config, { redirect_uri: appCallback });
    const page = await browser.newPage();
    await page.goto(request.url);
    const google = page.getByRole('button', { name: 'Sign in with Google' });
    await google.waitFor();
    // The logos are files of our own origin (the CSP allows 'self' images), and they load.
    const logosLoaded = await page.locator('.social-button img').evaluateAll((images) => images.map((image) => (image as HTMLImageElement).naturalWidth > 0));
    expect(logosLoaded).toEqual([true, true, true, true]);
    await screenshot(page, 'social-sign-in-buttons');

    await google.click();
    await page.waitForURL(`${appCallback}**`);
    const tokens = await exchangeCode(app.config, page.url(), request);
    expect(tokens.claims()?.sub).toBe((await server.services.accounts.repository.findByEmail('margaret@gmail.test'))?.id);
    await page.close();
  });
});
