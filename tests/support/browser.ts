import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { repoRoot } from './service-process.js';

/** Where the tests write their screenshots: git-ignored, kept after the run for people to look at. */
export const ARTIFACTS_DIR = join(repoRoot, 'tests', 'artifacts');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844 },
} as const;

/** Builds the dashboard's client bundle, as `pnpm build` does, so that a test run alone finds it. */
export function buildDashboard() {
  execFileSync(process.execPath, [join(repoRoot, 'services', 'api', 'web', 'build.mjs')], {
    stdio: 'inherit',
  });
}

/**
 * Debian's Chromium, headless, driven by playwright-core: no browser download, the one installed
 * by `scripts/ensure-test-tools.sh`.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
    timeout: 30_000,
  });
}

/** A full-page screenshot `tests/artifacts/<name>-<viewport>.png` at each size, the page left at desktop size. */
export async function screenshots(
  page: Page,
  name: string,
  sizes: Array<keyof typeof VIEWPORTS> = ['desktop', 'phone'],
) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const before = page.viewportSize();
  for (const size of sizes) {
    await page.setViewportSize(VIEWPORTS[size]);
    // Charts resize on the next frame: wait for them to settle before the picture.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}-${size}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}
