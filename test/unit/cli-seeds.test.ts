/**
 * `ftle-lab run --seeds 2` (in process): the bundle's seedRuns hold seed + 1, trained and analysed
 * exactly as `--seed <seed + 1>` alone would (the derivation of core/seeds.ts, the same headless
 * pipeline); `summarize` counts the bundle's seeds as runs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRun } from '../../src/cli/runCommand';
import { runSummarize } from '../../src/cli/summarizeCommand';
import { parseRunBundle } from '../../src/core/formats/bundle';

const dir = mkdtempSync(join(tmpdir(), 'ftle-cli-seeds-'));
const quiet = { tty: false, raw: () => {} };
const base = ['--preset', 'quick', '--epochs', '1', '--subset', '0.03', '--probes', '4', '--draws', '6'];

describe('ftle-lab run --seeds', () => {
  it('writes the other seeds into seedRuns, each equal to its own single-seed run', async () => {
    const multi = join(dir, 'multi.json');
    const single = join(dir, 'single.json');
    const lines: string[] = [];
    expect(await runRun([...base, '--seed', '4', '--seeds', '2', '--out', multi], (l) => lines.push(l), quiet)).toBe(0);
    expect(await runRun([...base, '--seed', '5', '--out', single], () => {}, quiet)).toBe(0);
    const m = parseRunBundle(readFileSync(multi, 'utf8'));
    const s = parseRunBundle(readFileSync(single, 'utf8'));
    expect(m.config.seeds).toBe(2);
    expect(m.seedRuns!.map((r) => [r.seed, r.epochs.map((e) => e.epoch)])).toEqual([[5, [0, 1]]]);
    const strip = (e: (typeof s.epochs)[number]) => ({ ...e, metrics: { ...e.metrics, msPerStep: 0, epochMs: 0, analysisMs: 0 } });
    expect(m.seedRuns![0].epochs.map(strip)).toEqual(s.epochs.map(strip));
    expect(lines.some((l) => /seed 5 \(2 of 2\)/.test(l))).toBe(true);

    const out: string[] = [];
    expect(runSummarize([multi], (l) => out.push(l))).toBe(0);
    expect(out[1]).toMatch(/^epoch\s+seed 4\s+seed 5\s+gap mean/);
    // The same seed as a separate file counts once only.
    expect(() => runSummarize([multi, single], () => {})).toThrow(/seed 5 is also the seed of .*multi.json#5/);
  }, 120_000);
});
