/**
 * Launches Debian's Chromium (never a downloaded browser) headless with software WebGL, with the
 * flags from shared/docs/platform-notes.md, and collects console errors and page errors so every
 * test can assert a clean console.
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-swiftshader',
  // Tests only: lets the soak test force a GC before reading performance.memory.
  '--js-flags=--expose-gc',
  '--enable-precise-memory-info',
];

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
  close: () => Promise<void>;
}

/**
 * A fresh headless Chromium with CHROMIUM_ARGS plus `extraArgs` (e.g. `--enable-unsafe-webgpu`,
 * which gives WebGPU on SwiftShader here), in `userDataDir` or a temporary profile.
 */
export async function openSession(
  viewport = { width: 1366, height: 768 },
  userDataDir?: string,
  extraArgs: readonly string[] = [],
): Promise<Session> {
  const dir = userDataDir ?? mkdtempSync(join(tmpdir(), 'ftle-lab-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      if (!userDataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses a number shown as "0.93" or "93.1%" into [0, 1]. */
export function parseAccuracy(text: string): number {
  const m = text.match(/(-?\d+(?:\.\d+)?)\s*(%?)/);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === '%' ? v / 100 : v;
}

/** URL of the production build served by globalSetup. */
export function baseURL(): string {
  const url = process.env.FTLE_BASE_URL;
  if (!url) throw new Error('FTLE_BASE_URL is not set: run the e2e tests through vitest.e2e.config.ts');
  return url;
}

/**
 * Loads `url` as a new document even when only its hash differs from the page's: a hash-only goto
 * is a same-document navigation, which the running app applies in place (hashSync.ts), not a load.
 */
export async function loadFresh(page: Page, url: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(url);
}

/** Opens bench.html?`query` (built with the app) and returns what it publishes as window.__benchResult. */
export async function benchResult<T>(page: Page, query: string): Promise<T> {
  await page.goto(`${baseURL()}bench.html?${query}`);
  await page.waitForFunction(() => (window as unknown as { __benchResult?: unknown }).__benchResult, null, {
    timeout: 200_000,
    polling: 500,
  });
  return page.evaluate(() => (window as unknown as { __benchResult: unknown }).__benchResult) as Promise<T>;
}
