/**
 * "Say what it means" in a real browser, on the quick preset (row-wise, T = 28): the three verdicts
 * are there and follow the data (another probe, then a trained epoch); the row-wise encoding speaks
 * of rows; the keyboard moves a cursor over the heatmap with the tooltip readout; the heatmap's SVG
 * export downloads vector cells; at 390 x 844 the page does not scroll sideways. Screenshots at
 * 1440 and 390 px go to test/artifacts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseURL, openSession, type Session } from './browser';

const ARTIFACTS = 'test/artifacts';

describe('clarity', () => {
  let s: Session;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    s = await openSession({ width: 1440, height: 900 });
  });
  afterAll(async () => {
    await s?.close();
  });

  const t0 = Date.now();
  const log = (what: string) => console.log(`[e2e clarity] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  let epoch0: { flip: string | null; alignment: string | null; spectrum: string | null };
  const verdict = (id: string) => s.page.getByTestId(id).textContent();

  it('epoch 0: verdicts follow the probe, rows in row mode, keyboard heatmap, vector SVG export, no sideways scroll at 390 px', async () => {
    const { page } = s;
    await page.goto(`${baseURL()}#preset=quick&epochs=1&seed=5&subset=0.25`);
    await expect.poll(async () => page.getByTestId('verdict-flip').count(), { timeout: 120_000 }).toBe(1);
    log('epoch 0 analysed');
    // Before the first epoch: a call to action.
    expect(await page.getByTestId('call-to-action').isVisible()).toBe(true);

    epoch0 = {
      flip: await verdict('verdict-flip'),
      alignment: await verdict('verdict-alignment'),
      spectrum: await verdict('verdict-spectrum'),
    };
    expect(epoch0.flip).toMatch(/R-top/);
    expect(epoch0.alignment).toMatch(/vs null 0\.177/); // N = 32: 1/sqrt(32)
    expect(epoch0.spectrum).toMatch(/^(Stable|Marginal|Chaotic): λ1 = /);

    // The spectrum verdict quotes the selected probe's own lambda_1.
    await page.getByTestId('probe-select').selectOption('3');
    await expect.poll(async () => verdict('verdict-spectrum')).not.toBe(epoch0.spectrum);

    // Row-wise encoding: the flip panel and the heatmap's readout speak of rows.
    const flipPanel = page.getByTestId('flip-plot');
    expect(await flipPanel.locator('svg.viz-chart').textContent()).toContain('k rows flipped');
    expect(await flipPanel.locator('[data-testid="flip-table"] thead').textContent()).toContain('k rows');
    expect(await flipPanel.locator('h2').textContent()).toContain('rows that matter');

    // Keyboard: focus the heatmap and move the cursor cell with the arrow keys.
    await page.getByTestId('heatmap-focus').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowLeft');
    const tip = page.getByTestId('heatmap-tooltip');
    await expect.poll(async () => tip.isVisible()).toBe(true);
    const tipText = (await tip.textContent()) ?? '';
    // Cursor starts at the centre (row 14, col 14): up, left -> row 13, col 13; row-wise, step t = row + 1.
    expect(tipText).toContain('row 13 (all 28 pixels), t=14');
    expect(tipText).toMatch(/row flip dL=/);
    expect(await page.getByTestId('heatmap-outline').isVisible()).toBe(true);
    // The readout never covers the digit beside the heatmap.
    const tipBox = (await tip.boundingBox())!;
    const digitBox = (await page.locator('.digit-figure canvas').boundingBox())!;
    const overlaps =
      tipBox.x < digitBox.x + digitBox.width &&
      digitBox.x < tipBox.x + tipBox.width &&
      tipBox.y < digitBox.y + digitBox.height &&
      digitBox.y < tipBox.y + tipBox.height;
    expect(overlaps).toBe(false);

    // The heatmap's SVG button downloads a figure of vector cells: 28 x 28 heatmap cells.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export pixel heatmap as SVG' }).click(),
    ]);
    const file = join(ARTIFACTS, 'heatmap.svg');
    await download.saveAs(file);
    const svgText = readFileSync(file, 'utf8');
    expect((svgText.match(/<rect class="heat-cell"/g) ?? []).length).toBe(28 * 28);
    expect(svgText).toContain('epoch 0');
    expect(svgText).toContain('legend-ramp');
    log('keyboard, rows and SVG export checked');

    // Phone: no sideways page scroll (checked at epoch 0 too: the call to action is then on the page).
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(s.errors).toEqual([]);
  }, 200_000);

  it('a trained epoch changes the flip and alignment verdicts; screenshots at 1440 and 390 px', async () => {
    const { page } = s;

    // Train one epoch: the flip and alignment verdicts follow the new statistics.
    await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 60_000 }).toBe(true);
    await page.getByTestId('cta-start').click();
    await expect
      .poll(
        async () =>
          page.evaluate(() => {
            const st = (window as unknown as { ftleLab: { store: { getState: () => { epochs: unknown[] } } } }).ftleLab.store.getState();
            return st.epochs.length;
          }),
        { timeout: 400_000, interval: 2000 },
      )
      .toBe(2);
    log('epoch 1 trained and analysed');
    await expect.poll(async () => verdict('verdict-flip')).not.toBe(epoch0.flip);
    await expect.poll(async () => verdict('verdict-alignment')).not.toBe(epoch0.alignment);
    expect(await page.getByTestId('call-to-action').count()).toBe(0);

    // Figures: a panel's PNG, and the whole view as one SVG holding every panel's figure.
    const [png] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export flip plot as PNG' }).click()]);
    const pngFile = join(ARTIFACTS, 'flip-figure.png');
    await png.saveAs(pngFile);
    expect(readFileSync(pngFile).subarray(1, 4).toString()).toBe('PNG');
    const [whole] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-figure').click()]);
    const wholeFile = join(ARTIFACTS, 'figure.svg');
    await whole.saveAs(wholeFile);
    const wholeText = readFileSync(wholeFile, 'utf8');
    for (const title of [
      'Expansion per row',
      'Finite-time Lyapunov spectrum',
      'Flip test',
      'Do Lyapunov vectors align',
      'What the network predicts',
      'Training',
    ]) {
      expect(wholeText).toContain(title);
    }
    expect(wholeText).toContain('epoch 1 · probe #4');
    await page.evaluate(() => (window as unknown as { ftleLab: { whenRedrawsIdle: () => Promise<void> } }).ftleLab.whenRedrawsIdle());
    await page.waitForTimeout(400); // let the 200 ms scrub transitions land before the picture
    await page.screenshot({ path: join(ARTIFACTS, 'clarity-1440.png') });
    // Three columns at 1440 px.
    const tops = await page
      .locator('main.panels > section')
      .evaluateAll((els) => els.slice(0, 3).map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(1);

    // Phone: no sideways page scroll.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, 'clarity-390.png'), fullPage: true });
    expect(s.errors).toEqual([]);
  }, 480_000);
});
