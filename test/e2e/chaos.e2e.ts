/**
 * The edge-of-chaos view: the link opens it, its lambda_1 and Kaplan-Yorke dimension are the float64
 * core's for the same network (computed here in Node; to rounding where stable, within the time SE where chaotic), the slider recomputes and writes the gain
 * back to the link, and the back button returns to the workbench.
 */
import { describe, expect, it } from 'vitest';
import { chaosViewSettings, chaosViewSpectrum } from '../../src/core/dynamics/chaosView';
import { baseURL, openSession } from './browser';

const summary = async (page: import('playwright-core').Page) => {
  const el = page.getByTestId('chaos-summary');
  return {
    g: Number(await el.getAttribute('data-g')),
    lambda1: Number(await el.getAttribute('data-lambda1')),
    ky: Number(await el.getAttribute('data-ky')),
  };
};

describe('edge-of-chaos view', () => {
  it('shows the core spectrum for the linked gain, recomputes as the slider moves, and links both ways', async () => {
    const s = await openSession();
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick&epochs=1&subset=0.05&view=chaos&gain=0.5&chaosHidden=16`);
      await expect
        .poll(async () => (await page.getByTestId('chaos-summary').count()) > 0 && (await summary(page)).g, { timeout: 60_000 })
        .toBe(0.5);
      const ref = (g: number) => chaosViewSpectrum(g, chaosViewSettings(16, 16, null));
      const at05 = await summary(page);
      expect(Math.abs(at05.lambda1 - ref(0.5).spectrum[0])).toBeLessThan(1e-9);
      expect(at05.ky).toBe(ref(0.5).kaplanYorke);
      expect(await page.getByTestId('chaos-spectrum-plot').locator('path.chaos-spectrum').count()).toBe(1);
      await expect.poll(async () => page.getByTestId('chaos-curve-caption').getAttribute('data-ready'), { timeout: 60_000 }).toBe('1');
      expect(await page.getByTestId('chaos-curve-plot').locator('circle.chaos-seed-point').count()).toBe(15 * 3);
      // The finite-size band around the mean-field curve (method §8), and the engine said: no
      // hardware GPU here, so the float64 CPU kernels.
      await expect
        .poll(async () => page.getByTestId('chaos-curve-plot').locator('path.chaos-finite-band').count(), { timeout: 10_000 })
        .toBe(1);
      expect(await page.getByTestId('chaos-status').getAttribute('data-engine')).toBe('cpu');

      // Slider to g = 2.5: the spectrum follows, and the link says so.
      await page.getByTestId('chaos-gain').fill('2.5');
      await expect.poll(async () => (await summary(page)).g, { timeout: 30_000 }).toBe(2.5);
      const at25 = await summary(page);
      // Chaotic (g = 2.5): the page's WASM kernels and Node's JS ones round differently, and chaos
      // amplifies rounding into a different trajectory; lambda_1 then agrees within its time SE.
      const r25 = ref(2.5);
      expect(Math.abs(at25.lambda1 - r25.spectrum[0])).toBeLessThan(4 * r25.timeSe[0]);
      expect(at25.lambda1).toBeGreaterThan(0);
      await expect.poll(() => page.url()).toMatch(/gain=2\.5/);

      // Units: bits per step on the same switch as the rest of the app.
      await page.getByTestId('chaos-units').click();
      await expect.poll(async () => (await summary(page)).lambda1, { timeout: 10_000 }).toBeCloseTo(at25.lambda1 / Math.LN2, 12);
      expect(await page.getByTestId('chaos-curve-plot').textContent()).toMatch(/bits per step/);

      await page.getByTestId('chaos-back').click();
      await expect.poll(async () => page.getByTestId('chaos-view').count()).toBe(0);
      await page.getByTestId('chaos-link').click();
      await expect.poll(async () => page.getByTestId('chaos-view').count()).toBe(1);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('the workbench shows the CLV control of a trained epoch', async () => {
    const s = await openSession({ width: 1440, height: 900 });
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick&epochs=1&subset=0.05&backend=fast-wasm`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 120_000 }).toBe(true);
      await page.getByTestId('train-toggle').click();
      await expect.poll(async () => page.getByTestId('clv-summary').count(), { timeout: 300_000, interval: 1000 }).toBe(1);
      // Charts draw on the next animation frame (useRenderer): poll.
      await expect.poll(async () => page.getByTestId('clv-angle-plot').locator('path.clv-first-two').count(), { timeout: 10_000 }).toBe(1);
      await expect.poll(async () => page.getByTestId('clv-statistic-plot').locator('path.clv-clv').count(), { timeout: 10_000 }).toBe(1);
      // The CLV statistic beside Q in the alignment panel, and the overlap legend's note.
      await expect.poll(async () => page.getByTestId('alignment-plot').locator('path.series-clv').count(), { timeout: 10_000 }).toBe(1);
      expect(await page.getByTestId('alignment-plot').locator('[data-series="clvOverlapNote"]').count()).toBe(1);
      const minAngle = Number(await page.getByTestId('clv-summary').getAttribute('data-min-angle'));
      expect(minAngle).toBeGreaterThanOrEqual(0);
      expect(minAngle).toBeLessThanOrEqual(90);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
