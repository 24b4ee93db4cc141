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

  /**
   * A fresh profile with a virtual platform authenticator holding resident keys, that verifies the
   * person (fingerprint, PIN) or only checks presence. Chromium refuses a passkey without user
   * verification where no account is named (the email page), so that one only serves "Confirm it's you".
   */
  async function withAuthenticator(userVerification = true): Promise<{ context: BrowserContext; page: Page; storedUserHandles: () => Promise<string[]> }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A ceremony that never completes fails the step at once, not at the test's timeout.
    page.setDefaultTimeout(8000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: userVerification,
        isUserVerified: userVerification,
        automaticPresenceSimulation: true,
      },
    });
    // What the authenticator keeps beside each passkey: the user handle the server chose (base64).
    const storedUserHandles = async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.map((credential) =>
        Buffer.from(credential.userHandle!, 'base64').toString('base64url'),
      );
    return { context, page, storedUserHandles };
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

  /** The email and password pages, up to "Confirm it's you". */
  async function signInWithPassword(page: Page, accountId: string) {
    const account = await server.services.accounts.repository.findById(accountId);
    await page.getByLabel('Email address').fill(account!.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();
  }

  /** Pages opened from now on see a browser without passkey autofill. */
  const withoutAutofill = (page: Page) =>
    page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
    });

  async function signInToApp(page: Page, how: (page: Page) => Promise<void>, params: Record<string, string> = {}) {
    const request = await authorizationRequest(app.config, { redirect_uri: appServer.callbackUrl, ...params });
    await page.goto(request.url);
    try {
      await how(page);
      await page.waitForURL(`${appServer.callbackUrl}**`);
    } catch (error) {
      console.log('AT', page.url(), await page.locator('body').textContent());
      throw error;
    }
    return (await exchangeCode(app.config, page.url(), request)).claims()!;
  }

  it('registers a passkey on My account, then signs in by autofill on the email field, and with the button', async () => {
    const { context, page, storedUserHandles } = await withAuthenticator();
    try {
      const accountId = await registerPasskey(page);
      const account = await server.services.accounts.repository.findById(accountId);
      // A random handle, never the email: the authenticator (and whoever reads it) learns nothing of the account.
      const [handle] = await storedUserHandles();
      expect(handle).toMatch(/^[\w-]{43}$/);
      expect(handle).not.toContain(Buffer.from(account!.email).toString('base64url'));
      const settings = await server.services.db
        .selectFrom('account_factor_settings')
        .select('webauthn_user_handle')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      expect(settings?.webauthn_user_handle).toBe(handle);
      // The change is mailed to the account.
      const notices = await server.services.db.selectFrom('outgoing_mails').select('template').where('recipient', '=', account!.email).execute();
      expect(notices.map((mail) => mail.template)).toContain('factor-added');
      await signOut(context);
      // The identifier page starts a conditional-mediation ceremony on load; the virtual authenticator answers it.
      const byAutofill = await signInToApp(page, async () => {});
      expect(byAutofill.sub).toBe(accountId);

      await signOut(context);
      // The button alone: a browser without passkey autofill.
      await withoutAutofill(page);
      const byButton = await signInToApp(page, async (signInPage) => {
        // What offers the autofill to browsers that have it.
        expect(await signInPage.getByLabel('Email address').getAttribute('autocomplete')).toBe('username webauthn');
        // No account is known yet: the options name no passkey, so they tell nothing about who has which.
        const options = await signInPage.evaluate(async () => {
          const form = document.querySelector<HTMLFormElement>('form[data-passkey-sign-in]')!;
          const body = new URLSearchParams({ _csrf: form.querySelector<HTMLInputElement>('input[name=_csrf]')!.value });
          return (await (await fetch(form.dataset.options!, { method: 'POST', body })).json()).options;
        });
        expect(options.allowCredentials ?? []).toEqual([]);
        expect(options.rpId).toBe('localhost');
        await signInPage.getByRole('button', { name: 'Sign in with a passkey' }).click();
      });
      expect(byButton.sub).toBe(accountId);
      expect(byButton.amr).toEqual(expect.arrayContaining(['user', 'mfa']));
      expect(byButton.acr).toBe(acrValues[2]);
    } finally {
      await context.close();
    }
  });

  it('a passkey is removed on My account after the passkey confirms the session', async () => {
    const { context, page } = await withAuthenticator();
    try {
      const accountId = await registerPasskey(page);
      await signOut(context);
      await withoutAutofill(page);
      await page.goto(`${issuer()}/account`);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.waitForURL(`${issuer()}/account`);
      await page.goto(`${issuer()}/account/factors`);
      // The strongest factor the account has confirms the change.
      await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
      await page.getByRole('button', { name: 'Remove' }).click();
      await page.waitForURL(/notice=passkey_removed/);
      expect((await server.services.factors.service.summary(accountId)).passkeys).toHaveLength(0);
    } finally {
      await context.close();
    }
  });

  it('a passkey without user verification confirms a password sign-in as its second factor, never as the person', async () => {
    const { context, page } = await withAuthenticator(false);
    try {
      const accountId = await registerPasskey(page);
      await signOut(context);
      await withoutAutofill(page);
      const claims = await signInToApp(page, async (signInPage) => {
        await signInWithPassword(signInPage, accountId);
        await signInPage.getByRole('button', { name: 'Use a passkey' }).click();
      });
      expect(claims.sub).toBe(accountId);
      expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
      expect(claims.amr).not.toContain('user');
    } finally {
      await context.close();
    }
  });

  it("another account's passkey does not confirm it's you, even on the same authenticator", async () => {
    const { context, page } = await withAuthenticator();
    try {
      await withoutAutofill(page);
      const holder = await registerPasskey(page);
      await signOut(context);
      const other = await registerPasskey(page);
      await signOut(context);
      const [otherKey] = (await server.services.factors.service.summary(other)).passkeys;
      const request = await authorizationRequest(app.config, { redirect_uri: appServer.callbackUrl, acr_values: acrValues[2] });
      await page.goto(request.url);
      await signInWithPassword(page, holder);
      // The page's own ceremony offers only the holder's passkeys: here the browser answers with the other account's.
      await page.evaluate(async (credentialId) => {
        const form = document.querySelector<HTMLFormElement>('form[data-passkey-confirm]')!;
        const body = new URLSearchParams({ _csrf: form.querySelector<HTMLInputElement>('input[name=_csrf]')!.value });
        const { challengeId, options } = await (await fetch(form.dataset.options!, { method: 'POST', body })).json();
        const browserLibrary = (window as unknown as { SimpleWebAuthnBrowser: typeof import('@simplewebauthn/browser') }).SimpleWebAuthnBrowser;
        const response = await browserLibrary.startAuthentication({
          optionsJSON: { ...options, allowCredentials: [{ id: credentialId, type: 'public-key' }] },
        });
        form.querySelector<HTMLInputElement>('input[name=challengeId]')!.value = challengeId;
        form.querySelector<HTMLInputElement>('input[name=response]')!.value = JSON.stringify(response);
        form.submit();
      }, otherKey!.credentialId);
      await page.getByText("That passkey did not confirm it's you.").waitFor();
      expect(page.url()).not.toContain(appServer.callbackUrl);
      // The holder's own passkey still does.
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await page.waitForURL(`${appServer.callbackUrl}**`);
      expect((await exchangeCode(app.config, page.url(), request)).claims()!.sub).toBe(holder);
    } finally {
      await context.close();
    }
  });

  it('a member whose organization requires phishing resistance adds a passkey at sign-in and goes on with it as the second factor', async () => {
    const { context, page } = await withAuthenticator();
    try {
      await withoutAutofill(page);
      const email = `member${++accountSeq}@example.com`;
      const account = await server.services.accounts.service.createAccount({ email, password, emailVerified: true });
      const { db, orgs, factors } = server.services;
      const org = await orgs.organizationService.create({ name: `Passkeys ${accountSeq}`, domains: [], verifiedByOperator: false });
      await db.insertInto('organization_members').values({ organization_id: org.id, account_id: account.id }).execute();
      await db.transaction().execute((trx) => factors.policies.set(trx, org.id, { requireMfa: true, phishingResistant: true, graceDays: 0 }, new Date()));
      const claims = await signInToApp(page, async (signInPage) => {
        await signInPage.getByLabel('Email address').fill(email);
        await signInPage.getByRole('button', { name: 'Continue' }).click();
        await signInPage.getByLabel('Password').fill(password);
        await signInPage.getByRole('button', { name: 'Sign in' }).click();
        await signInPage.getByRole('heading', { name: 'Add a second step to your sign-in' }).waitFor();
        await signInPage.getByRole('button', { name: 'Add a passkey' }).click();
      });
      expect(claims).toMatchObject({ sub: account.id, acr: acrValues[2] });
      expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'user', 'mfa']));
      expect((await factors.service.summary(account.id)).passkeys).toHaveLength(1);
    } finally {
      await context.close();
    }
  });
});
