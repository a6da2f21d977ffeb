/**
 * Debian's Chromium, headless, driven by playwright-core: a fresh profile each
 * time, and the flags that keep it off the network this machine does not have.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

export async function launchChromium(viewport = { width: 1200, height: 800 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Chromium with one page open, for a test file; screenshots go to ARTIFACTS, which this creates. */
export async function openBrowserPage(): Promise<{ page: Page; close(): Promise<void> }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const session = await launchChromium();
  return { page: await session.context.newPage(), close: session.close };
}
