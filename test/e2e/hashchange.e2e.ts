/**
 * A hash typed into the address bar of the running app applies at once, as loading it would: a view
 * key moves the view and leaves the run alone; another config starts that run; an invalid key gets
 * its banner. (location.hash = … is what the address bar does: a same-document navigation that
 * fires hashchange.)
 */
import { describe, expect, it } from 'vitest';
import { baseURL, openSession } from './browser';

type Store = { config: { preset: string; hidden: number; seed: number }; runId: string; hiddenControls: string[] };
const state = (page: import('playwright-core').Page) =>
  page.evaluate(() => {
    const st = (window as unknown as { ftleLab: { store: { getState: () => Store } } }).ftleLab.store.getState();
    return { preset: st.config.preset, hidden: st.config.hidden, seed: st.config.seed, runId: st.runId, hide: st.hiddenControls };
  });

describe('a hash changed in the same tab', () => {
  it('moves the view in place, starts the run a new config asks for, and refuses an invalid key with a banner', async () => {
    const s = await openSession();
    try {
      const { page } = s;
      const base = '#preset=quick&epochs=1&seed=7&subset=0.05';
      await page.goto(`${baseURL()}${base}`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 60_000 }).toBe(true);
      const before = await state(page);
      expect(before.preset).toBe('quick');
      expect(await page.getByTestId('tour-start').count()).toBe(1);

      // A view key only: the tour button goes, the run stays the same run.
      await page.evaluate((h) => {
        location.hash = `${h}&hide=tour`;
      }, base);
      await expect.poll(async () => page.getByTestId('tour-start').count(), { timeout: 10_000 }).toBe(0);
      expect((await state(page)).runId).toBe(before.runId);
      expect(page.url()).toMatch(/hide=tour/);

      // Another config: that run starts (pixel preset, N = 64, seed 8), and the link stays its own.
      await page.evaluate(() => {
        location.hash = '#preset=pixel&epochs=1&seed=8&subset=0.05';
      });
      await expect.poll(async () => (await state(page)).preset, { timeout: 10_000 }).toBe('pixel');
      const after = await state(page);
      expect([after.hidden, after.seed]).toEqual([64, 8]);
      expect(after.runId).not.toBe(before.runId);
      expect(after.hide).toEqual([]);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 60_000 }).toBe(true);
      expect(page.url()).toMatch(/preset=pixel/);
      expect(page.url()).toMatch(/seed=8/);
      expect(await page.getByTestId('error-banner').count()).toBe(0);

      // An invalid key: refused by name, as on a fresh load.
      await page.evaluate(() => {
        location.hash = '#preset=pixel&epochs=1&seed=8&subset=0.05&lr=fast';
      });
      await expect
        .poll(async () => (await page.getByTestId('error-banner').allTextContents()).join(' '), { timeout: 10_000 })
        .toMatch(/lr/);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
