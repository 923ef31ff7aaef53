/**
 * "Check the claim" and the gallery (issue 21) in a real browser, at 390 px and with the keyboard
 * alone: the story is walked from step 1 (whose edge-of-chaos table opens the chaos view at a gain
 * with the same lambda_1) to the conclusion at its glance size (two seeds, one epoch on 5% of the
 * digits, fast-wasm), step 2 paused, reloaded and resumed on the way; each
 * step's quotes must be the verdicts the panels show, and the conclusion must quote them. Each
 * gallery run opens in one keypress and its panels' verdicts equal those computed here from the
 * shipped file (the edge-of-chaos sweep: the chaos view's lambda_1 at each of its gains).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseRunBundle } from '../../src/core/formats/bundle';
import { parseChaosFile } from '../../src/core/formats/chaos';
import { newestCommonRow } from '../../src/core/story';
import { summarizeSeeds } from '../../src/core/seedSummary';
import { alignmentVerdict, flipVerdict, seedsVerdict } from '../../src/core/verdicts';
import { baseURL, openSession } from './browser';

const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

/** Presses Enter on an element reached by focus (what Tab would reach), never a mouse click. */
async function press(page: Page, locator: ReturnType<Page['locator']>) {
  await locator.focus();
  await page.keyboard.press('Enter');
}

/** No sideways scrolling of the page at this width. */
const overflowX = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('story=claim at 390 px, keyboard only', () => {
  it('walks every step (step 1 opening the chaos view and back), pausing and reloading in step 2, to a conclusion that quotes the panels’ verdicts', async () => {
    const s = await openSession({ width: 390, height: 844 });
    const t0 = Date.now();
    const log = (what: string) => console.log(`[e2e story] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    try {
      const { page } = s;
      await page.goto(`${baseURL()}#preset=quick&backend=fast-wasm&storySize=glance`);
      await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 120_000 }).toBe(true);
      await press(page, page.getByTestId('story-start'));
      await expect.poll(async () => page.getByTestId('story').count()).toBe(1);
      expect(await page.getByTestId('story-step').count()).toBe(4);
      await expect.poll(() => page.url()).toContain('story=claim');

      const step = (id: string) => page.locator(`[data-testid="story-step"][data-step="${id}"]`);
      const runStep = async (id: string) => {
        await press(page, step(id).getByTestId('story-run'));
        await expect.poll(async () => step(id).getByTestId('story-evidence').count(), { timeout: 120_000 }).toBe(1);
        log(`step ${id} done`);
      };

      // 1. The untrained net's spectrum: the step quotes the spectrum panel's plain sentence.
      await runStep('exponent');
      expect(await step('exponent').locator('.story-plain').first().textContent()).toBe(await text(page, 'verdict-spectrum-plain'));
      // Its edge-of-chaos table opens the chaos view at a gain, whose lambda_1 is the table's; back again.
      const row = step('exponent').locator('[data-testid="story-chaos-row"][data-g="2.5"]');
      expect(await row.getAttribute('data-regime')).toBe('chaotic');
      const tableLambda1 = Number(await row.getAttribute('data-lambda1'));
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      await press(page, row.getByTestId('story-chaos-open'));
      await expect.poll(async () => page.getByTestId('chaos-status').getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
      expect(await text(page, 'chaos-gain-value')).toBe('2.50');
      expect(Number(await page.getByTestId('chaos-summary').getAttribute('data-lambda1'))).toBeCloseTo(tableLambda1, 9);
      expect(page.url()).toContain('view=chaos');
      await press(page, page.getByTestId('chaos-back'));
      await expect.poll(async () => step('exponent').getByTestId('story-evidence').count()).toBe(1);
      log('step exponent: the chaos view at g = 2.5 and back');

      // Step 2 is paused mid-epoch (slow motion keeps the epoch long enough), the page reloaded, and
      // the step resumed from where its run stopped.
      const state = () =>
        page.evaluate(() =>
          (
            window as unknown as { ftleLab: { store: { getState: () => { status: string; saved: { writing: number } } } } }
          ).ftleLab.store.getState(),
        );
      await page.getByTestId('slow-motion').selectOption('1000');
      await press(page, step('alignment').getByTestId('story-run'));
      await expect.poll(async () => (await state()).status, { timeout: 60_000 }).toBe('training');
      await press(page, step('alignment').getByTestId('story-pause'));
      await expect.poll(async () => (await state()).status, { timeout: 30_000 }).toBe('paused');
      await expect.poll(async () => (await state()).saved.writing).toBe(0);
      expect(await step('alignment').getByTestId('story-evidence').count()).toBe(0);
      await page.reload();
      await expect.poll(async () => step('alignment').getByTestId('story-run').textContent(), { timeout: 60_000 }).toBe('Resume');
      // Step 1's evidence came back from browser storage with the story.
      expect(await step('exponent').getByTestId('story-evidence').count()).toBe(1);
      log('step alignment paused and reloaded');

      // 2 and 3: the quotes are the seeds panel's verdict and the main seed's panel verdict, word for word.
      const quoted: string[] = [];
      for (const [id, panelVerdict] of [
        ['alignment', 'verdict-alignment'],
        ['sensitivity', 'verdict-flip'],
      ] as const) {
        await runStep(id);
        const across = step(id).getByTestId('story-quote-seeds');
        const mainSeed = step(id).getByTestId('story-quote-seed').first();
        const seedsText = await text(page, 'verdict-seeds');
        const panelText = await text(page, panelVerdict);
        expect(await across.locator('.story-stats').textContent()).toBe(seedsText);
        expect(await mainSeed.locator('.story-stats').textContent()).toBe(panelText);
        expect(await mainSeed.locator('.story-plain').textContent()).toBe(await text(page, `${panelVerdict}-plain`));
        quoted.push(seedsText, panelText);
      }

      // 4. The conclusion: complete, quoting every verdict above, with links that reproduce the runs.
      const conclusion = page.getByTestId('story-conclusion');
      await expect.poll(async () => conclusion.getAttribute('data-complete')).toBe('1');
      const body = (await conclusion.textContent()) ?? '';
      for (const q of quoted) expect(body).toContain(q);
      expect(body).toMatch(/^In this session, claim \(i\) .*; claim \(ii\) /);
      expect(body).toContain('the paper used N = 128');
      const links = await conclusion.locator('.story-links a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      expect(links).toHaveLength(3);
      for (const l of links) expect(l).toMatch(/^#preset=.*selectedEpoch=\d+$/);
      expect(await overflowX(page)).toBeLessThanOrEqual(0);

      expect(await page.getByTestId('error-banner').count()).toBe(0);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('gallery', () => {
  it('each finished run opens with one keypress and its panels show the verdicts of the shipped numbers', async () => {
    const dir = join(__dirname, '..', '..', 'public', 'gallery');
    const manifest = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      items: { id: string; file: string; command?: string }[];
    };
    const s = await openSession({ width: 390, height: 844 });
    const t0 = Date.now();
    const log = (what: string) => console.log(`[e2e gallery] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    try {
      const { page } = s;
      // A small run to load beside: the gallery does not wait for it.
      await page.goto(`${baseURL()}#preset=quick&backend=fast-wasm&probes=2&draws=2`);
      await expect.poll(async () => page.getByTestId('gallery').count(), { timeout: 60_000 }).toBe(1);
      log('page loaded');
      await press(page, page.getByTestId('gallery').locator('summary'));
      await expect.poll(async () => page.getByTestId('gallery-item').count(), { timeout: 30_000 }).toBe(manifest.items.length);
      for (const item of manifest.items) {
        if (item.command === 'chaos') {
          // The edge-of-chaos sweep opens the chaos view, replayed: lambda_1 of the view's network
          // (seed 0) at each gain is the shipped one, with nothing computed.
          const sweep = parseChaosFile(readFileSync(join(dir, item.file), 'utf8'));
          await press(page, page.locator(`[data-testid="gallery-item"][data-id="${item.id}"]`));
          await expect.poll(async () => page.getByTestId('chaos-replay').count(), { timeout: 30_000 }).toBe(1);
          for (const [i, g] of sweep.gains.entries()) {
            await press(page, page.locator(`[data-testid="chaos-replay-gain"][data-g="${g}"]`));
            await expect.poll(async () => Number(await page.getByTestId('chaos-summary').getAttribute('data-g'))).toBe(g);
            expect(await page.getByTestId('chaos-status').getAttribute('data-source')).toBe('replay');
            expect(Number(await page.getByTestId('chaos-summary').getAttribute('data-lambda1'))).toBe(sweep.lambda1[i][0]);
          }
          log(`${item.id} open`);
          continue;
        }
        const bundle = parseRunBundle(readFileSync(join(dir, item.file), 'utf8'));
        const last = bundle.epochs[bundle.epochs.length - 1];
        await press(page, page.locator(`[data-testid="gallery-item"][data-id="${item.id}"]`));
        await expect.poll(async () => text(page, 'verdict-flip'), { timeout: 60_000 }).toBe(flipVerdict(last.flip, { unit: 'row' }).text);
        expect(await text(page, 'verdict-alignment')).toBe(alignmentVerdict(last.alignment).text);
        const mode = await page.evaluate(() =>
          (window as unknown as { ftleLab: { store: { getState: () => { mode: string; epochs: unknown[] } } } }).ftleLab.store.getState(),
        );
        expect(mode.mode).toBe('replay');
        expect(mode.epochs).toHaveLength(bundle.epochs.length);
        if (bundle.seedRuns?.length) {
          const runs = [bundle.epochs, ...bundle.seedRuns.map((r) => r.epochs)];
          expect(await text(page, 'verdict-seeds')).toBe(seedsVerdict(newestCommonRow(summarizeSeeds(runs)), runs.length).text);
        } else expect(await page.getByTestId('seed-summary').count()).toBe(0);
        log(`${item.id} open`);
      }
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await page.getByTestId('error-banner').count()).toBe(0);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
