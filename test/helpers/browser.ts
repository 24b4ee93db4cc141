import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const browserAvailable = existsSync(chromiumPath);
export const browserSkipReason = `browser tests skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;

if (!browserAvailable) console.warn(browserSkipReason);

const screenshotDir = path.resolve(import.meta.dirname, '..', '..', 'test-output', 'screenshots');

/** Debian's Chromium, headless, with no traffic beyond loopback. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Saves a full-page screenshot under test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  // A heading can be visible before the stylesheet and images have loaded.
  await page.waitForLoadState('load');
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

export interface AppCallbackServer {
  /** The app's redirect_uri, served for real on a loopback port. */
  callbackUrl: string;
  close(): void;
}

/** A real page for the app's callback: Chromium follows the whole redirect chain to it. */
export async function startAppCallbackServer(): Promise<AppCallbackServer> {
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('app'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { callbackUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, close: () => server.close() };
}
