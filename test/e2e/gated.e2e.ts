/**
 * GRU and LSTM train live (issue 15): `#preset=quick&cell=lstm|gru&epochs=1&subset=0.1` on the
 * hand-written engine (backend=fast-wasm) trains one epoch, the analysis worker analyses it with
 * the cell's own Jacobians, and every panel renders (spectrum, heatmap, flip test, alignment,
 * logits) with no error banner and a clean console. A gated run asking for a fused GPU engine
 * falls back, the badge names the reason, and tfjs (WebGL, SwiftShader here) trains it.
 */
import { describe, expect, it } from 'vitest';
import { baseURL, openSession, parseAccuracy } from './browser';

const PANELS = ['spectrum-plot', 'pixel-heatmap', 'flip-plot', 'alignment-plot', 'logits-plot'] as const;

describe.each(['lstm', 'gru'] as const)('gated cell %s', (cell) => {
  it('trains one epoch on fast-wasm; every panel renders; no error banner, no console errors', async () => {
    const s = await openSession({ width: 1440, height: 900 });
    const t0 = Date.now();
    const log = (what: string) => console.log(`[e2e gated ${cell}] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick&cell=${cell}&epochs=1&subset=0.1&backend=fast-wasm`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 120_000 }).toBe(true);
      expect((await page.getByTestId('backend-badge').textContent()) ?? '').toMatch(/WebAssembly SIMD/);
      await page.getByTestId('train-toggle').click();
      const epochs = () =>
        page.evaluate(
          () =>
            (window as unknown as { ftleLab: { store: { getState: () => { epochs: unknown[] } } } }).ftleLab.store.getState().epochs.length,
        );
      await expect.poll(epochs, { timeout: 400_000, interval: 2000 }).toBe(2);
      log('epoch 1 trained and analysed');
      expect((await page.getByTestId('epoch-label').textContent()) ?? '').toMatch(/epoch 1\b/);
      // The epoch was trained on the gated cell (the snapshot's config says which).
      const trained = await page.evaluate(
        () =>
          (window as unknown as { ftleLab: { store: { getState: () => { config: { cell: string } } } } }).ftleLab.store.getState().config
            .cell,
      );
      expect(trained).toBe(cell);
      for (const id of PANELS) {
        const panel = page.getByTestId(id);
        expect(await panel.count(), id).toBe(1);
        // A chart (svg) inside the panel, or the panel is the canvas itself (the heatmap).
        expect(await panel.evaluate((el) => el.matches('svg, canvas') || el.querySelector('svg, canvas') !== null), id).toBe(true);
      }
      // The heatmap canvas has painted cells.
      const painted = await page.getByTestId('pixel-heatmap').evaluate((el) => {
        const c = el as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      });
      expect(painted).toBeGreaterThan(100);
      // Alignment is defined for gated cells: the verdict quotes the N = 32 null 1/sqrt(32).
      expect((await page.getByTestId('verdict-alignment').textContent()) ?? '').toMatch(/vs null 0\.177/);
      expect((await page.getByTestId('verdict-flip').textContent()) ?? '').toMatch(/R-top/);
      // Left (gate-space) statistics are undefined for gated cells (NaN in the snapshot): never shown as "NaN".
      expect((await page.getByTestId('alignment-plot').textContent()) ?? '').not.toMatch(/NaN/);
      // A test accuracy is shown (12 steps are too few to learn much; that gated cells learn is
      // test/unit/gated.test.ts: 150 steps reach > 0.5).
      const acc = parseAccuracy((await page.getByTestId('test-accuracy').textContent()) ?? '');
      log(`test accuracy ${acc}`);
      expect(acc).toBeGreaterThanOrEqual(0);
      expect(await page.getByTestId('error-banner').count()).toBe(0);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('a gated run asking for a fused GPU engine', () => {
  it('falls back (fused engines train the vanilla RNN only), says so in the badge, and trains on tfjs', async () => {
    const s = await openSession();
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick-gru&epochs=1&subset=0.02&probes=4&backend=fused-webgpu`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 120_000 }).toBe(true);
      const title = (await page.getByTestId('backend-badge').getAttribute('title')) ?? '';
      console.log(`[e2e gated fallback] badge: ${(await page.getByTestId('backend-badge').textContent())?.trim()} — ${title}`);
      expect(title).toContain('fused-webgpu: fused engines train the vanilla RNN only');
      expect(title).toContain('fused-webgl: fused engines train the vanilla RNN only');
      await page.getByTestId('train-toggle').click();
      const epochs = () =>
        page.evaluate(
          () =>
            (window as unknown as { ftleLab: { store: { getState: () => { epochs: unknown[] } } } }).ftleLab.store.getState().epochs.length,
        );
      await expect.poll(epochs, { timeout: 400_000, interval: 2000 }).toBe(2);
      expect((await page.getByTestId('epoch-engine').textContent()) ?? '').toMatch(/tfjs/);
      expect(await page.getByTestId('error-banner').count()).toBe(0);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
