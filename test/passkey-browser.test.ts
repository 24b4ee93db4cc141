import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrValues } from '../src/factors/assurance.ts';
import type { RunningServer } from '../src/server.ts';
import { type AppCallbackServer, browserAvailable, browserSkipReason, launchBrowser, startAppCallbackServer } from './helpers/browser.ts';
import { authorizationRequest, discover, exchangeCode, type TestClient } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';

const password = 'a long passphrase 42';

/**
 * Passkeys in Chromium through its virtual authenticator (CDP WebAuthn domain). The issuer is
 * http://localhost:PORT: browsers refuse an IP address as a WebAuthn RP ID.
 */
describe.skipIf(!browserAvailable)(`passkeys in Chromium${browserAvailable ? '' : ` (${browserSkipReason})`}`, () => {
  let server: RunningServer;
  let browser: Browser;
  let appServer: AppCallbackServer;
  let app: TestClient;
  let accountSeq = 0;
  const issuer = () => server.services.config.issuer;

  beforeAll(async () => {
    appServer = await startAppCallbackServer();
    server = await startTestServer({ issuerHost: 'localhost' });
    browser = await launchBrowser();
    const { clientId, clientSecret } = await server.services.oidc.clients.create(server.services.db, {
      name: 'Ledger',
      redirectUris: [appServer.callbackUrl],
      firstParty: true,
    });
    app = { clientId, clientSecret: clientSecret!, config: await discover(issuer(), clientId, clientSecret) };
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    appServer?.close();
  });

  /** A fresh profile with a virtual platform authenticator (resident keys; user verification as asked). */
  async function withAuthenticator(userVerification: boolean): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A ceremony that never completes fails the step at once, not at the test's timeout.
    page.setDefaultTimeout(8000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: userVerification,
        isUserVerified: userVerification,
        automaticPresenceSimulation: true,
      },
    });
    return { context, page };
  }

  /** Signs in with the password through My account, confirms the session and adds a passkey. */
  async function registerPasskey(page: Page): Promise<string> {
    const email = `passkey${++accountSeq}@example.com`;
    const account = await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
    await page.goto(`${issuer()}/account`);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${issuer()}/account`);
    await page.goto(`${issuer()}/account/factors`);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(/notice=passkey_added/);
    expect((await server.services.factors.service.summary(account.id)).passkeys).toHaveLength(1);
    return account.id;
  }

  const signOut = (context: BrowserContext) => context.clearCookies();

  /** Pages opened from now on see a browser without passkey autofill. */
  const withoutAutofill = (page: Page) =>
    page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
    });

  async function signInToApp(page: Page, how: (page: Page) => Promise<void>, params: Record<string, string> = {}) {
    const request = await authorizationRequest(app.config, { redirect_uri: appServer.callbackUrl, ...params });
    await page.goto(request.url);
    await how(page);
    await page.waitForURL(`${appServer.callbackUrl}**`);
    return (await exchangeCode(app.config, page.url(), request)).claims()!;
  }

  it('registers a passkey on My account, then signs in by autofill on the email field, and with the button', async () => {
    const { context, page } = await withAuthenticator(true);
    try {
      const accountId = await registerPasskey(page);
      await signOut(context);
      // The identifier page starts a conditional-mediation ceremony on load; the virtual authenticator answers it.
      const byAutofill = await signInToApp(page, async (signInPage) => {
        expect(await signInPage.getByLabel('Email address').getAttribute('autocomplete')).toBe('username webauthn');
      });
      expect(byAutofill.sub).toBe(accountId);

      await signOut(context);
      // The button alone: a browser without passkey autofill.
      await withoutAutofill(page);
      const byButton = await signInToApp(page, (signInPage) => signInPage.getByRole('button', { name: 'Sign in with a passkey' }).click());
      expect(byButton.sub).toBe(accountId);
      expect(byButton.amr).toEqual(expect.arrayContaining(['user', 'mfa']));
      expect(byButton.acr).toBe(acrValues[2]);
    } finally {
      await context.close();
    }
  });

  it('a passkey without user verification is one factor: the password is asked too, then the passkey confirms it', async () => {
    // A security key that cannot verify the person: presence only.
    const { context, page } = await withAuthenticator(false);
    try {
      const accountId = await registerPasskey(page);
      await signOut(context);
      await withoutAutofill(page);
      const claims = await signInToApp(page, async (signInPage) => {
        await signInPage.getByRole('button', { name: 'Sign in with a passkey' }).click();
        await signInPage.getByLabel('Password').fill(password);
        await signInPage.getByRole('button', { name: 'Sign in' }).click();
        await expect(signInPage.getByRole('heading', { name: "Confirm it's you" }).count()).resolves.toBe(1);
        await signInPage.getByRole('button', { name: 'Use a passkey' }).click();
      });
      expect(claims.sub).toBe(accountId);
      expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'mfa']));
      expect(claims.amr).not.toContain('user');
    } catch (error) {
      console.log('AT', page.url(), await page.locator('main').innerText());
      throw error;
    } finally {
      await context.close();
    }
  });
});
