/**
 * Panels fill as the analysis computes them, and the CPU budget's cut is said in words: on the quick
 * preset at N = 256 (16 probes, T = 28) the flip test's random draws no longer fit the CPU budget,
 * so its plan is cut; the spectrum (dynamics stage) must show while the flip panel still says its
 * test is running, the flip panel must state the cut, and the statement must match the flip table
 * it ends in. Epoch 0 only (nothing is trained).
 */
import { describe, expect, it } from 'vitest';
import { baseURL, openSession } from './browser';

describe('panels that fill as they are computed', () => {
  it('shows the spectrum before the flip test finishes and states the CPU budget cut in the flip panel', async () => {
    const s = await openSession();
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick&hidden=256&epochs=1`);
      const count = (id: string) => page.getByTestId(id).count();
      // The dynamics stage is done (spectrum drawn) while the flip stage still runs.
      await expect
        .poll(async () => (await count('spectrum-plot')) > 0 && (await count('flip-pending')) > 0, { timeout: 60_000, interval: 50 })
        .toBe(true);
      expect(await count('flip-table')).toBe(0);
      // The cut is known from the plan before the flip test ends, and said in words.
      const note = (await page.getByTestId('flip-plan-note').textContent()) ?? '';
      const m = note.match(/^(\d+) of the paper's 50 random draws: CPU budget/);
      expect(m).not.toBeNull();
      const R = Number(m![1]);
      expect(R).toBeLessThan(50);
      expect(await page.getByTestId('analysis-engine').textContent()).toMatch(/CPU float64, \d+ workers?/);
      // The flip test arrives with the draws the note announced; the note stays.
      await expect.poll(() => count('flip-table'), { timeout: 60_000 }).toBe(1);
      expect(await count('flip-pending')).toBe(0);
      expect(await page.getByTestId('flip-table').locator('caption').textContent()).toContain(`${R} random draws`);
      expect(await page.getByTestId('flip-plan-note').textContent()).toBe(note);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  }, 120_000);
});
