/**
 * The shipped gallery (public/gallery/, written by `npm run gallery` = scripts/gallery.mjs) is what
 * the app's headless run computes: the main run of the RNN item is regenerated here through
 * `ftle-lab run` (runRun, the CLI's own code path) and must equal the shipped one bit for bit, except the
 * creation time and the wall-clock timings (epochMs, msPerStep, analysisMs), which no seed fixes.
 * Every other item is checked for its settings: its config is the one its flags give, it holds
 * every epoch of every seed, and it parses as a run bundle. If training numbers change on purpose,
 * run `npm run gallery` and commit the new files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmAnalysisKernels } from '../../src/cli/assets';
import { parseChaosArgs, runChaos } from '../../src/cli/chaosCommand';
import { parseRunArgs, runRun } from '../../src/cli/runCommand';
import { CHAOS_VIEW, sweepFitsView } from '../../src/core/dynamics/chaosView';
import { parseRunBundle } from '../../src/core/formats/bundle';
import { parseChaosFile } from '../../src/core/formats/chaos';
import { seedList } from '../../src/core/seeds';
import type { GalleryItem } from '../../src/app/gallery';

const dir = join(__dirname, '..', '..', 'public', 'gallery');
const manifest = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { format: string; items: GalleryItem[] };
const runItems = manifest.items.filter((i) => (i.command ?? 'run') === 'run');
const chaosItems = manifest.items.filter((i) => i.command === 'chaos');

/** Fields no seed fixes: when the file was written and how long each phase took. */
const CLOCK_FIELDS = new Set(['created', 'epochMs', 'msPerStep', 'analysisMs']);
const withoutClock = (text: string) => JSON.stringify(JSON.parse(text, (k, v) => (CLOCK_FIELDS.has(k) ? undefined : v)));

beforeAll(async () => {
  expect(await useWasmAnalysisKernels()).toBe('wasm-simd');
});

describe('gallery', () => {
  it('the manifest lists each shipped file with its size, and the whole gallery stays a few MB', () => {
    expect(manifest.format).toBe('ftle-lab.gallery/v1');
    expect(manifest.items.length).toBeGreaterThanOrEqual(2);
    let total = 0;
    for (const item of manifest.items) {
      const bytes = readFileSync(join(dir, item.file)).length;
      expect(bytes, item.id).toBe(item.bytes);
      total += bytes;
    }
    expect(total).toBeLessThan(8e6);
  });

  it.each(runItems.map((i) => [i.id, i] as const))('%s: the config its flags give, every epoch of every seed', (_, item) => {
    const bundle = parseRunBundle(readFileSync(join(dir, item.file), 'utf8'));
    const { config } = parseRunArgs([...item.args, '--out', 'x.json']);
    expect(bundle.config).toEqual(config);
    const epochs = Array.from({ length: config.epochs + 1 }, (_, e) => e);
    expect(bundle.epochs.map((s) => s.epoch)).toEqual(epochs);
    expect((bundle.seedRuns ?? []).map((r) => r.seed)).toEqual(seedList(config.seed, config.seeds).slice(1));
    for (const r of bundle.seedRuns ?? []) expect(r.epochs.map((s) => s.epoch)).toEqual(epochs);
    for (const s of bundle.epochs) expect(s.metrics.engine).toBe('fast-wasm');
  });

  it('the main run of the RNN item regenerated through `ftle-lab run` equals the shipped one bit for bit (clock fields aside)', async () => {
    // The main seed alone (--seeds 1): the other seeds are the same code path with derived seeds
    // (core/seeds.ts), and their settings are checked above; a GRU item costs several times more.
    const item = runItems.find((i) => i.args.includes('quick'))!;
    const tmp = mkdtempSync(join(tmpdir(), 'ftle-gallery-'));
    try {
      const out = join(tmp, item.file);
      const args = item.args.filter((a, i, all) => a !== '--seeds' && all[i - 1] !== '--seeds');
      const code = await runRun([...args, '--seeds', '1', '--out', out, '--quiet'], () => {}, { tty: false, raw: () => {} });
      expect(code).toBe(0);
      const fresh = JSON.parse(readFileSync(out, 'utf8'));
      const shipped = JSON.parse(readFileSync(join(dir, item.file), 'utf8'));
      const main = (b: { epochs: unknown; weights: unknown; probe: unknown; dataSource: unknown; appVersion: unknown }) =>
        withoutClock(
          JSON.stringify({ epochs: b.epochs, weights: b.weights, probe: b.probe, dataSource: b.dataSource, appVersion: b.appVersion }),
        );
      expect(main(fresh) === main(shipped)).toBe(true);
      expect({ ...fresh.config, seeds: shipped.config.seeds }).toEqual(shipped.config);
      // The clock fields are the only difference, and they are there in both.
      expect(fresh.epochs[1].metrics.epochMs).toBeGreaterThan(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('the edge-of-chaos sweep has the settings its flags give, is the chaos view’s own computation, and `ftle-lab chaos` rewrites it byte for byte', () => {
    expect(chaosItems.map((i) => i.id)).toEqual(['edge-of-chaos']);
    const item = chaosItems[0];
    const text = readFileSync(join(dir, item.file), 'utf8');
    const sweep = parseChaosFile(text);
    const args = parseChaosArgs([...item.args, '--out', 'x.json']);
    expect({ hidden: sweep.hidden, k: sweep.k, steps: sweep.steps, transient: sweep.transient, gains: sweep.gains }).toEqual({
      hidden: args.hidden,
      k: args.k,
      steps: args.steps,
      transient: args.transient,
      gains: args.gains,
    });
    expect(sweep.seeds).toEqual([...CHAOS_VIEW.curveSeeds]);
    // The view replays it only because these are its own settings (else it computes live).
    expect(sweepFitsView(sweep, args.hidden, false)).toBe(true);
    // No clock in this file: the whole text is reproducible (seeded networks, float64 maths).
    const tmp = mkdtempSync(join(tmpdir(), 'ftle-gallery-'));
    try {
      const out = join(tmp, item.file);
      runChaos([...item.args, '--out', out, '--quiet']);
      expect(readFileSync(out, 'utf8') === text).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);
});
