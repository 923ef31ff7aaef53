/**
 * Every core, in the production build under `vite preview` (which sends COOP/COEP): the page is
 * cross-origin isolated, and with 4 reported cores the analysis runs on a pool of Web Workers
 * (3 idle, 2 while training) whose staged analysis reaches the UI like the single worker's; the
 * threaded fast engine trains on two Web Worker threads (engine-check.html), and in the app a
 * `threads=2&backend=fast-wasm` link trains on two threads, recorded in the epoch and the tooltip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseURL, benchResult, loadFresh, openSession, type Session } from './browser';
import type { EngineCheckApi } from '../../src/bench/engineCheck';

describe('cores: cross-origin isolation and the analysis worker pool', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openSession();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('is cross-origin isolated; trains an epoch on the fast engine and the pooled analysis arrives', async () => {
    const { page } = s;
    await page.addInitScript(() => {
      // A 4-core machine as far as the pool can tell; count the analysis workers it starts.
      Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 4 });
      const w = window as unknown as { __analyzers: number; Worker: typeof Worker };
      w.__analyzers = 0;
      const Base = w.Worker;
      w.Worker = class extends Base {
        constructor(url: string | URL, opts?: WorkerOptions) {
          super(url, opts);
          if (opts?.name?.startsWith('ftle-analyzer')) w.__analyzers++;
        }
      };
    });
    await page.goto(`${baseURL()}#preset=quick&epochs=1&seed=3&backend=wasm`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 90_000 }).toBe(true);
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await page.getByTestId('epoch-label').textContent()) ?? '', { timeout: 180_000 }).toMatch(/epoch 1\b/);
    // The analysis of epoch 1 shows progress, then finishes (the badge goes away).
    await expect.poll(async () => page.getByTestId('analysis-status').count(), { timeout: 60_000 }).toBe(1);
    await expect.poll(async () => page.getByTestId('analysis-status').count(), { timeout: 240_000 }).toBe(0);
    const analyzers = await page.evaluate(() => (window as unknown as { __analyzers: number }).__analyzers);
    console.log(`[e2e] analysis workers started: ${analyzers}`);
    expect(analyzers).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('error-banner').count()).toBe(0);
    expect(s.errors).toEqual([]);
  });

  it('a threads=2&backend=fast-wasm link trains its epoch on 2 threads and records them', async () => {
    const { page } = s;
    await loadFresh(page, `${baseURL()}#preset=quick&threads=2&backend=fast-wasm&epochs=1&subset=0.1&seed=3`);
    await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 90_000 }).toBe(true);
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await page.getByTestId('epoch-label').textContent()) ?? '', { timeout: 180_000 }).toMatch(/epoch 1\b/);
    // The Training panel's "trained by" line shows epoch 1's record.
    await expect.poll(async () => page.getByTestId('epoch-engine').textContent(), { timeout: 30_000 }).toBe('fast-wasm × 2 threads');
    const tooltip = await page.getByTestId('backend-badge').getAttribute('title');
    console.log(`[e2e] badge tooltip: ${tooltip}`);
    expect(tooltip).toMatch(/^fast-wasm × 2 threads:/);
    expect(await page.getByTestId('error-banner').count()).toBe(0);
    expect(s.errors).toEqual([]);
  });

  it('the threaded fast engine trains on 2 Web Worker threads: reproducible, and FastRnn within float32 rounding', async () => {
    const { page } = s;
    await page.goto(`${baseURL()}engine-check.html`);
    await page.waitForFunction(() => (window as unknown as { __engineCheck?: unknown }).__engineCheck !== undefined, null, {
      timeout: 60_000,
    });
    const r = await page.evaluate(() => (window as unknown as { __engineCheck: EngineCheckApi }).__engineCheck.threaded(2));
    console.log(`[e2e] threaded: ${JSON.stringify(r)}`);
    expect(r.note).toBe('');
    expect(r.threads).toBe(2);
    expect(r.repeatIdentical).toBe(true);
    r.lossFast.forEach((l, i) => expect(Math.abs(r.lossThreaded[i] - l)).toBeLessThan(1e-5 * l + 1e-6));
    expect(r.maxWhhDiff).toBeLessThan(1e-4);
    expect(s.errors).toEqual([]);
  });

  it("bench analysis_workers: the pixel epoch analysis through 1 and 2 of the app's analysis workers, bit-identical", async () => {
    const { page } = s;
    const r = await benchResult<{ errors: string[]; results: { workers: number; identical: boolean; median_ms: number }[] }>(
      page,
      'analysis_workers=1,2&analysis_reps=1&analysis_warm=1',
    );
    console.log(`[e2e] analysis workers rows: ${JSON.stringify(r.results.map((x) => [x.workers, x.median_ms, x.identical]))}`);
    expect(r.errors).toEqual([]);
    expect(r.results.map((x) => [x.workers, x.identical])).toEqual([
      [1, true],
      [2, true],
    ]);
  });
});
