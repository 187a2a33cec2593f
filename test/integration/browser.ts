import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's chromium, driven by playwright-core: no browser is ever downloaded by a test
 * tool. .ci/run installs it; where it is missing the browser tests are skipped and say so.
 */
export const CHROMIUM = '/usr/bin/chromium';

export function browserUnavailable(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install chromium)`;
}

export interface Browser {
  /** Opens a page on a file and records everything it must never do. */
  open(file: string, options?: { colorScheme?: 'light' | 'dark' }): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  page: Page;
  /** Dialogs, console messages, page errors, and requests for anything but the file itself. */
  misdeeds: string[];
}

export async function launchBrowser(): Promise<Browser> {
  // A fresh profile each time, removed with the browser.
  const profile = mkdtempSync(join(tmpdir(), 'loopwatch-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1280, height: 900 },
  });
  return {
    async open(file, options = {}) {
      const page = await context.newPage();
      await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light' });
      const url = pathToFileURL(file).href;
      const misdeeds: string[] = [];
      page.on('dialog', (dialog) => {
        misdeeds.push(`dialog: ${dialog.type()} ${dialog.message()}`);
        void dialog.dismiss();
      });
      page.on('console', (message) => misdeeds.push(`console.${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => misdeeds.push(`page error: ${error.message}`));
      page.on('request', (request) => {
        if (request.url() !== url) misdeeds.push(`request: ${request.url()}`);
      });
      await page.goto(url);
      return { page, misdeeds };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
