import { existsSync, mkdirSync } from 'node:fs';
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
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Saves a full-page screenshot under test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  // A heading can be visible before the stylesheet and images have loaded.
  await page.waitForLoadState('load');
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}
