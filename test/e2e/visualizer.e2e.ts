/**
 * The visualizer in a real browser: two epochs of the quick preset, scrubbing back with the
 * keyboard, hovering pixels (tooltip numbers checked against the snapshot data), export and
 * re-import of the run, an imported fixture model rendering every panel, screenshots at two
 * sizes, accessible names on every control.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseURL, loadFresh, openSession, type Session } from './browser';
import { parseModelJson } from '../../src/core/formats/model';

const ARTIFACTS = 'test/artifacts';

interface Snap {
  epoch: number;
  T: number;
  k: number;
  lnR: number[];
  flip: { singleFlip: number[][] } | null;
  metrics: { testAcc: number };
}

async function storeState(s: Session) {
  return s.page.evaluate(() => {
    const st = (window as unknown as { ftleLab: { store: { getState: () => Record<string, unknown> } } }).ftleLab.store.getState();
    return {
      epochs: st.epochs as Snap[],
      selectedEpoch: st.selectedEpoch as number | null,
      selectedProbe: st.selectedProbe as number,
      probe: st.probe as { stepToCells: [number, number][][]; side: number; labels: number[] } | null,
      mode: st.mode as string,
      status: st.status as string,
    };
  });
}

describe('visualizer', () => {
  let s: Session;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    s = await openSession({ width: 1366, height: 768 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('trains two epochs, scrubs back, hovers pixels with correct numbers', async () => {
    const { page } = s;
    await page.goto(`${baseURL()}#preset=quick&epochs=2&seed=5&subset=0.5`);
    await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 90_000 }).toBe(true);
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await storeState(s)).epochs.length, { timeout: 240_000 }).toBe(3);

    // Keyboard-only scrubbing: focus the slider, arrow back to epoch 1.
    const slider = page.getByTestId('epoch-slider');
    await slider.focus();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => (await storeState(s)).selectedEpoch).toBe(1);
    // Scrub speed: key press -> every panel redrawn (the deferred redraw queue drained), in the page's clock.
    const scrubMs: number[] = [];
    for (const key of ['ArrowLeft', 'ArrowRight', 'ArrowLeft', 'ArrowRight']) {
      const t = await page.evaluate(async (k) => {
        const w = window as unknown as { ftleLab: { whenRedrawsIdle: () => Promise<void> } };
        const t0 = performance.now();
        document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
        await new Promise((r) => setTimeout(r, 0));
        await w.ftleLab.whenRedrawsIdle();
        return performance.now() - t0;
      }, key);
      scrubMs.push(t);
    }
    console.log(`[e2e] scrub: key -> all panels redrawn: ${scrubMs.map((x) => x.toFixed(0)).join(', ')} ms`);
    await expect.poll(async () => (await storeState(s)).selectedEpoch).toBe(1);

    const state = await storeState(s);
    const snap = state.epochs.find((e) => e.epoch === 1)!;
    const probe = state.probe!;
    const S = probe.side;
    const canvas = page.getByTestId('pixel-heatmap');
    const box = (await canvas.boundingBox())!;
    const cells: [number, number][] = [
      [3, 14],
      [10, 5],
      [14, 14],
      [20, 20],
      [27, 0],
    ];
    for (const [r, c] of cells) {
      await page.mouse.move(box.x + ((c + 0.5) * box.width) / S, box.y + ((r + 0.5) * box.height) / S);
      const tip = page.getByTestId('heatmap-tooltip');
      await expect.poll(async () => tip.isVisible()).toBe(true);
      const text = (await tip.textContent()) ?? '';
      const step = probe.stepToCells.findIndex((cs) => cs.some(([rr, cc]) => rr === r && cc === c));
      expect(text).toContain(`t=${step + 1}`);
      const m = text.match(/flip dL=\s*(-?[\d.]+(?:e[-+]?\d+)?)/);
      expect(m, text).not.toBeNull();
      const shown = Number(m![1]);
      const truth = snap.flip!.singleFlip[state.selectedProbe][step];
      // The tooltip rounds for reading: the shown value must be the truth rounded to its digits.
      const decimals = (m![1].split('e')[0].split('.')[1] ?? '').length;
      const exp = m![1].includes('e') ? Number(m![1].split('e')[1]) : 0;
      const tol = 0.5 * 10 ** (exp - decimals) * 1.0001;
      expect(Math.abs(shown - truth), `${text} | truth ${truth}`).toBeLessThanOrEqual(tol);
    }
    // Hover cost: pointermove -> tooltip text written (same task), over a sweep of the heatmap.
    const hoverMs = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="pixel-heatmap"]')!;
      const tip = document.querySelector<HTMLElement>('[data-testid="heatmap-tooltip"]')!;
      const r = canvas.getBoundingClientRect();
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const x = r.left + (((i * 37) % 100) / 100) * r.width;
        const y = r.top + (((i * 53) % 100) / 100) * r.height;
        const t0 = performance.now();
        canvas.dispatchEvent(new PointerEvent('pointermove', { clientX: x, clientY: y, bubbles: true }));
        if (tip.hidden) continue;
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { median: times[times.length >> 1], max: times[times.length - 1], n: times.length };
    });
    console.log(`[e2e] hover -> tooltip: median ${hoverMs.median.toFixed(2)} ms, max ${hoverMs.max.toFixed(2)} ms over ${hoverMs.n} moves`);
    expect(hoverMs.n).toBeGreaterThan(100);
    // The quick preset (N = 32) tracks the whole Q basis: random indices among all 32, and the
    // last-10-Q control drawn in the alignment panel from the snapshot's values.
    const align = await page.evaluate(() => {
      const st = (
        window as unknown as {
          ftleLab: { store: { getState: () => { epochs: { alignment: { randomQPool?: number; paperStdLastQ?: number[] } | null }[] } } };
        }
      ).ftleLab.store.getState();
      return st.epochs.map((e) => e.alignment && { pool: e.alignment.randomQPool, lastQ: e.alignment.paperStdLastQ?.length ?? 0 });
    });
    expect(align.every((a) => a !== null && a.pool === 32 && a.lastQ > 0)).toBe(true);
    expect(await page.locator('[data-testid="alignment-plot"] path.series-lastQ').count()).toBe(1);
    expect(await page.locator('[data-testid="alignment-plot"]').textContent()).toContain('last 10 Q vectors');
    await page.screenshot({ path: join(ARTIFACTS, 'main-1366x768.png'), fullPage: false });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.screenshot({ path: join(ARTIFACTS, 'main-1920x1080.png'), fullPage: false });
    await page.setViewportSize({ width: 1366, height: 768 });
    expect(s.errors).toEqual([]);
  });

  it('every control has an accessible name', async () => {
    const unnamed = await s.page.evaluate(() => {
      const bad: string[] = [];
      for (const el of Array.from(document.querySelectorAll<HTMLElement>('button, select, input, [role="slider"]'))) {
        const labelled =
          el.getAttribute('aria-label') ||
          el.getAttribute('aria-labelledby') ||
          (el.textContent ?? '').trim() ||
          (el as HTMLInputElement).labels?.length ||
          el.getAttribute('title');
        if (!labelled) bad.push(el.outerHTML.slice(0, 120));
      }
      return bad;
    });
    expect(unnamed).toEqual([]);
  });

  it('guided tour steps through the panels; a classroom link hides the configuration', async () => {
    const { page } = s;
    await page.getByTestId('tour-start').click();
    const pop = page.getByTestId('tour-popover');
    await expect.poll(async () => pop.isVisible()).toBe(true);
    const first = await pop.textContent();
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await pop.textContent()).not.toBe(first);
    expect(await page.locator('.tour-highlight').count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(async () => pop.count()).toBe(0);

    expect(await page.getByText('Configuration').count()).toBeGreaterThan(0);
    const url = page.url().replace(/#.*/, '') + '#preset=quick&epochs=2&seed=5&subset=0.5&classroom=1';
    const other = await s.context.newPage();
    await other.goto(url);
    await expect.poll(async () => other.getByTestId('train-toggle').isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await other.locator('.config-panel').count()).toBe(0);
    expect(await other.getByTestId('import-file').count()).toBe(0);
    // hide= picks the controls: here the preset picker and the tour, nothing else.
    // A full load of the new link (a hash-only goto would be applied in place by the running app).
    await loadFresh(other, url.replace('classroom=1', 'hide=preset,tour'));
    await expect.poll(async () => other.getByTestId('train-toggle').isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await other.getByTestId('preset-select').count()).toBe(0);
    expect(await other.getByTestId('tour-start').count()).toBe(0);
    expect(await other.locator('.config-panel').count()).toBe(1);
    expect(other.url()).toMatch(/hide=preset(%2C|,)tour/);
    await other.close();
  });

  it('exports the run and replays it from the bundle', async () => {
    const { page } = s;
    const before = await storeState(s);
    // The current model as ftle-lab.model/v1, readable by the CLI's parser, with its input block.
    const [modelDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-model').click()]);
    const modelPath = join(ARTIFACTS, 'model.json');
    await modelDl.saveAs(modelPath);
    const model = parseModelJson(readFileSync(modelPath, 'utf8'));
    expect([model.arch, model.hiddenSize, model.inputSize, model.input?.encoding]).toEqual(['rnn', 32, 28, 'row']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-run').click()]);
    const path = join(ARTIFACTS, 'run-bundle.json');
    await download.saveAs(path);
    const bundle = JSON.parse(readFileSync(path, 'utf8'));
    expect(bundle.format).toBe('ftle-lab.run/v1');
    expect(bundle.epochs.length).toBe(before.epochs.length);

    await page.getByTestId('import-file').setInputFiles(path);
    await expect.poll(async () => (await storeState(s)).mode, { timeout: 60_000 }).toBe('replay');
    const after = await storeState(s);
    expect(after.epochs.map((e) => e.epoch)).toEqual(before.epochs.map((e) => e.epoch));
    for (let i = 0; i < before.epochs.length; i++) {
      expect(after.epochs[i].metrics.testAcc).toBe(before.epochs[i].metrics.testAcc);
      const a = after.epochs[i].lnR;
      const b = before.epochs[i].lnR;
      expect(a.length).toBe(b.length);
      for (let j = 0; j < a.length; j += 97) expect(Math.abs(a[j] - b[j])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[j])));
    }
    for (const id of ['pixel-heatmap', 'flip-plot', 'alignment-plot', 'spectrum-plot', 'logits-plot']) {
      expect(await page.getByTestId(id).isVisible()).toBe(true);
    }
  });

  it('imports a fixture model and renders every panel', async () => {
    const { page } = s;
    await page.getByTestId('import-file').setInputFiles('test/fixtures/rnn_n16_t28_d28_trained.model.json');
    await expect
      .poll(
        async () => {
          const st = await storeState(s);
          return st.mode === 'model' ? st.epochs.length : 0;
        },
        { timeout: 60_000 },
      )
      .toBe(1);
    for (const id of ['pixel-heatmap', 'flip-plot', 'alignment-plot', 'spectrum-plot', 'logits-plot']) {
      await expect.poll(async () => page.getByTestId(id).isVisible()).toBe(true);
    }
    expect(await page.locator('[data-testid="spectrum-plot"] svg path').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="logits-plot"] svg rect').count()).toBeGreaterThanOrEqual(30);
    await page.screenshot({ path: join(ARTIFACTS, 'imported-model.png') });
    expect(s.errors).toEqual([]);
  });
});

describe('visualizer: analysis progress', () => {
  it('shows which epoch is being analysed, the phase and the percentage, then the panels', async () => {
    const s = await openSession({ width: 1366, height: 768 });
    try {
      // The pixel preset's epoch-0 analysis (T = 196, N = 64, 16 probes) takes seconds here.
      await s.page.goto(`${baseURL()}#preset=pixel&epochs=1&seed=41`);
      const badge = s.page.getByTestId('analysis-status');
      const seen: string[] = [];
      const deadline = Date.now() + 120_000;
      let snapshots = 0;
      while (Date.now() < deadline) {
        // The badge can vanish between count() and textContent() (the analysis just ended): read
        // it with a short timeout instead of waiting 30 s for an element that is gone.
        const text = (await badge.count()) ? ((await badge.textContent({ timeout: 200 }).catch(() => null)) ?? '') : '';
        if (text && seen[seen.length - 1] !== text) seen.push(text);
        snapshots = await s.page.evaluate(
          () =>
            (window as unknown as { ftleLab: { store: { getState: () => { epochs: unknown[] } } } }).ftleLab.store.getState().epochs.length,
        );
        if (snapshots > 0) break;
        await s.page.waitForTimeout(40);
      }
      expect(snapshots).toBe(1);
      console.log(`[e2e] analysis progress seen: ${seen.join(' | ')}`);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      const parsed = seen.map((t) => /^analysing epoch 0 · (Lyapunov vectors|alignment|flip test|single-pixel map) (\d+)%/.exec(t));
      expect(parsed.every(Boolean)).toBe(true);
      const pct = parsed.map((m) => Number(m![2]));
      for (let i = 1; i < pct.length; i++) expect(pct[i]).toBeGreaterThanOrEqual(pct[i - 1]);
      // Done: the badge goes away and the panels draw.
      await expect.poll(async () => badge.count(), { timeout: 10_000 }).toBe(0);
      await expect.poll(async () => s.page.getByTestId('flip-plot').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
