/**
 * The CLI and the app agree: `ftle-lab run` on a link trains to the same epoch-1 metrics, bit for
 * bit, as the app's fast engine (backend=wasm) on the same link in Chromium, with the same analysis
 * up to float64 rounding; and the app imports the CLI's bundle and renders every panel with no
 * error banner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseURL, openSession, type Session } from './browser';
import { runCli } from '../../src/cli/main';
import { parseRunBundle, type RunBundle } from '../../src/core/formats/bundle';
import type { EpochSnapshot } from '../../src/core/snapshot';

const LINK = 'preset=quick&epochs=1&subset=0.05&seed=3&backend=wasm';

describe('ftle-lab run bundle in the app', () => {
  let s: Session;
  let bundle: RunBundle;
  let path: string;
  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'ftle-cli-e2e-')), 'run.json');
    const lines: string[] = [];
    const code = await runCli(
      ['run', ...LINK.split('&').flatMap((kv) => [`--${kv.split('=')[0]}`, kv.split('=')[1]]), '--out', path, '--quiet'],
      (l) => lines.push(l),
    );
    expect(code, lines.join('\n')).toBe(0);
    bundle = parseRunBundle(readFileSync(path, 'utf8'));
    s = await openSession({ width: 1366, height: 768 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('the app trains the same link to the same numbers', async () => {
    const { page } = s;
    await page.goto(`${baseURL()}#${LINK}`);
    await expect.poll(async () => page.getByTestId('train-toggle').isEnabled(), { timeout: 90_000 }).toBe(true);
    await page.getByTestId('train-toggle').click();
    const epochs = async () =>
      page.evaluate(
        () =>
          (window as unknown as { ftleLab: { store: { getState: () => { epochs: EpochSnapshot[] } } } }).ftleLab.store.getState().epochs,
      );
    await expect.poll(async () => (await epochs()).length, { timeout: 180_000 }).toBe(2);
    const app = (await epochs())[1];
    const cli = bundle.epochs[1];
    expect(app.metrics.engine).toBe('fast-wasm');
    expect(cli.metrics.engine).toBe('fast-wasm');
    expect([app.metrics.trainLoss, app.metrics.trainAcc, app.metrics.testLoss, app.metrics.testAcc]).toEqual([
      cli.metrics.trainLoss,
      cli.metrics.trainAcc,
      cli.metrics.testLoss,
      cli.metrics.testAcc,
    ]);
    // The trained weights themselves, from the app's model export.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-model').click()]);
    const modelPath = join(mkdtempSync(join(tmpdir(), 'ftle-cli-e2e-')), 'model.json');
    await download.saveAs(modelPath);
    const appTensors = JSON.parse(readFileSync(modelPath, 'utf8')).tensors as Record<string, { data: number[] }>;
    const cliTensors = (bundle.weights as { tensors: Record<string, { data: number[] }> }).tensors;
    expect(Object.keys(appTensors).sort()).toEqual(Object.keys(cliTensors).sort());
    for (const name of Object.keys(cliTensors)) expect(appTensors[name].data, name).toEqual(cliTensors[name].data);
    // The float64 analysis agrees to rounding, not bit for bit: Node 20's V8 and Chromium's round
    // Math.exp/log/pow differently in the last bit for ~10% of arguments; lnR is float32 in a bundle.
    const close = (a: number[], b: number[], rtol: number, what: string) => {
      expect(a.length, what).toBe(b.length);
      for (let i = 0; i < a.length; i++)
        expect(Math.abs(a[i] - b[i]), `${what}[${i}]`).toBeLessThanOrEqual(rtol * Math.max(1e-12, Math.abs(b[i])));
    };
    close(app.spectrum.flat(), cli.spectrum.flat(), 1e-12, 'spectrum');
    close(app.lnR, cli.lnR, 1e-7, 'lnR');
    close(app.flip!.baseLoss, cli.flip!.baseLoss, 1e-12, 'flip.baseLoss');
    close(app.alignment!.paperStd, cli.alignment!.paperStd, 1e-12, 'alignment.paperStd');
  });

  it('imports the CLI bundle and renders every panel with no error banner', async () => {
    const { page } = s;
    await page.getByTestId('import-file').setInputFiles(path);
    await expect
      .poll(
        async () =>
          page.evaluate(
            () => (window as unknown as { ftleLab: { store: { getState: () => { mode: string } } } }).ftleLab.store.getState().mode,
          ),
        {
          timeout: 60_000,
        },
      )
      .toBe('replay');
    for (const id of ['pixel-heatmap', 'flip-plot', 'alignment-plot', 'spectrum-plot', 'logits-plot']) {
      await expect.poll(async () => page.getByTestId(id).isVisible()).toBe(true);
    }
    expect(await page.locator('[data-testid="spectrum-plot"] svg path').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('error-banner').count()).toBe(0);
    expect(s.errors).toEqual([]);
  });
});
