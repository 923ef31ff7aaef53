/**
 * Several seeds (issue 15): `#preset=quick&seeds=3&epochs=1&subset=0.05&backend=fast-wasm` trains
 * seed 1 in the training worker and seeds 2 and 3 in the seeds worker (the headless pipeline on
 * the app's WASM kernels); after the epoch, `seed-summary` shows every seed's dot at epochs 0 and
 * 1 for both claims and a verdict across the 3 seeds; no error banner, no console errors. The
 * exported run bundle holds the two other seeds as seedRuns, and importing it (on a fresh page)
 * replays them into the same panel.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseURL, loadFresh, openSession } from './browser';

interface SeedState {
  epochs: { epoch: number }[];
  seedRuns: { seed: number; status: string; epochs: { epoch: number; metrics: { engine?: string } }[] }[];
}

describe('seeds=3', () => {
  it('trains three seeds and shows each as a dot in seed-summary', async () => {
    const s = await openSession({ width: 1440, height: 900 });
    const t0 = Date.now();
    const log = (what: string) => console.log(`[e2e seeds] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick&seeds=3&epochs=1&subset=0.05&backend=fast-wasm`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 120_000 }).toBe(true);
      await page.getByTestId('train-toggle').click();
      const state = () =>
        page.evaluate(() => {
          const st = (window as unknown as { ftleLab: { store: { getState: () => SeedState } } }).ftleLab.store.getState();
          return {
            main: st.epochs.length,
            seeds: st.seedRuns.map((r) => ({
              seed: r.seed,
              status: r.status,
              n: r.epochs.length,
              engine: r.epochs[r.epochs.length - 1]?.metrics.engine,
            })),
          };
        });
      await expect
        .poll(
          async () => {
            const x = await state();
            return x.main === 2 && x.seeds.length === 2 && x.seeds.every((r) => r.status === 'done' && r.n === 2);
          },
          { timeout: 300_000, interval: 2000 },
        )
        .toBe(true);
      const done = await state();
      log(`all seeds done: ${JSON.stringify(done)}`);
      // The background seeds trained on the hand-written engine with the app's WASM SIMD kernels.
      expect(done.seeds.map((r) => [r.seed, r.engine])).toEqual([
        [2, 'fast-wasm'],
        [3, 'fast-wasm'],
      ]);
      const panel = page.getByTestId('seed-summary');
      expect(await panel.count()).toBe(1);
      // Seeds 1, 2 and 3 (seed_i = seed + i) at epochs 0 and 1, in each chart.
      await expect.poll(async () => page.getByTestId('seed-flip').locator('circle.seed-dot').count(), { timeout: 20_000 }).toBe(6);
      for (const id of ['seed-flip', 'seed-alignment']) {
        const dots = await page
          .getByTestId(id)
          .locator('circle.seed-dot')
          .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-seed')}@${e.getAttribute('data-epoch')}`).sort());
        expect(dots, id).toEqual(['1@0', '1@1', '2@0', '2@1', '3@0', '3@1']);
        // The mean's 95% interval over 3 seeds is drawn at each epoch.
        expect(await page.getByTestId(id).locator('line.seed-ci').count(), id).toBe(2);
      }
      const verdict = (await page.getByTestId('verdict-seeds').textContent()) ?? '';
      log(`verdict: ${verdict}`);
      expect(verdict).toMatch(
        /^Epoch 1: R-top beats random after Holm in [0-3] of 3 seeds; alignment − strongest control -?[0-9.e+-]+ \(95% CI -?[0-9.e+-]+ to -?[0-9.e+-]+\) over 3 seeds\.$/,
      );
      expect(await page.getByTestId('error-banner').count()).toBe(0);
      expect(s.errors).toEqual([]);

      // A reload restores the run from browser storage with its background seeds.
      await expect
        .poll(
          () =>
            page.evaluate(
              () =>
                (window as unknown as { ftleLab: { store: { getState: () => { saved: { writing: number } } } } }).ftleLab.store.getState()
                  .saved.writing,
            ),
          { timeout: 20_000 },
        )
        .toBe(0);
      await page.reload();
      await expect.poll(async () => page.getByTestId('seed-flip').locator('circle.seed-dot').count(), { timeout: 60_000 }).toBe(6);
      expect((await state()).seeds.map((r) => [r.seed, r.status, r.n])).toEqual([
        [2, 'done', 2],
        [3, 'done', 2],
      ]);

      // One bundle holds every seed; imported on a fresh page it replays all three.
      const file = join(mkdtempSync(join(tmpdir(), 'ftle-seeds-')), 'run.json');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-run').click()]);
      await download.saveAs(file);
      const bundle = JSON.parse(readFileSync(file, 'utf8'));
      expect(bundle.config.seeds).toBe(3);
      expect(bundle.seedRuns.map((r: { seed: number; epochs: unknown[] }) => [r.seed, r.epochs.length])).toEqual([
        [2, 2],
        [3, 2],
      ]);
      await loadFresh(page, `${baseURL()}#preset=quick&epochs=1&subset=0.05&backend=fast-wasm`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 120_000 }).toBe(true);
      expect(await page.getByTestId('seed-summary').count()).toBe(0);
      await page.getByTestId('import-file').setInputFiles(file);
      await expect.poll(async () => page.getByTestId('seed-flip').locator('circle.seed-dot').count(), { timeout: 60_000 }).toBe(6);
      expect(await page.getByTestId('seed-alignment').locator('circle.seed-dot').count()).toBe(6);
      expect((await page.getByTestId('verdict-seeds').textContent()) ?? '').toBe(verdict);
      expect(await page.getByTestId('error-banner').count()).toBe(0);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('the background seeds pause with the main run and go on with it', async () => {
    const s = await openSession();
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick&seeds=2&epochs=50&seed=9&backend=fast-wasm`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 120_000 }).toBe(true);
      const seed = () =>
        page.evaluate(() => {
          const st = (
            window as unknown as {
              ftleLab: {
                store: {
                  getState: () => { status: string; seedRuns: { status: string; progress: { what: string } | null; epochs: unknown[] }[] };
                };
              };
            }
          ).ftleLab.store.getState();
          const r = st.seedRuns[0];
          return { main: st.status, status: r.status, what: r.progress?.what ?? '', n: r.epochs.length };
        });
      await page.getByTestId('train-toggle').click();
      // The seed trains (past its epoch-0 analysis), then Pause holds it before its next batch.
      await expect.poll(async () => (await seed()).what, { timeout: 120_000 }).toMatch(/^training epoch/);
      await page.getByTestId('train-toggle').click();
      await expect.poll(async () => (await seed()).main, { timeout: 30_000 }).toBe('paused');
      await expect.poll(async () => (await seed()).what, { timeout: 60_000 }).toBe('paused with the main run');
      const held = await seed();
      await new Promise((r) => setTimeout(r, 1500));
      expect(await seed()).toEqual(held);
      // Training on lets it go on.
      await page.getByTestId('train-toggle').click();
      await expect.poll(async () => (await seed()).what, { timeout: 60_000 }).not.toBe('paused with the main run');
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
