import { describe, expect, it } from 'vitest';
import { parseRunBundle, serializeRunBundle, type RunBundle } from '../../src/core/formats/bundle';
import { FormatError } from '../../src/core/formats/errors';
import { createRng } from '../../src/core/rng';
import { seedList } from '../../src/core/seeds';
import { makeBundle, makeSnapshot } from './bundleFixture';

/** A several-seed bundle: makeBundle's run as seed_0 plus `extra` seed runs of `epochs + 1` snapshots. */
function seedBundle(seeds: number, epochs = 2): RunBundle {
  const b = makeBundle(11, { epochs, config: { seed: 5, seeds } });
  const rng = createRng(99);
  b.seedRuns = seedList(5, seeds)
    .slice(1)
    .map((seed) => ({ seed, epochs: Array.from({ length: epochs + 1 }, (_, e) => makeSnapshot(rng, b.config, b.config.probes, e)) }));
  return b;
}

function formatError(f: () => unknown): FormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('run bundle with seedRuns', () => {
  it('round-trips every seed run: float64 exact, lnR at float32, NaN kept', () => {
    const b = seedBundle(3);
    const text = serializeRunBundle(b);
    const back = parseRunBundle(text);
    expect(back.seedRuns!.map((r) => r.seed)).toEqual([6, 7]);
    for (let r = 0; r < 2; r++) {
      const [want, got] = [b.seedRuns![r], back.seedRuns![r]];
      expect(got.epochs.map((s) => s.epoch)).toEqual([0, 1, 2]);
      expect(got.epochs[2].spectrum).toEqual(want.epochs[2].spectrum);
      expect(got.epochs[1].flip!.wilcoxon.top.pHolm).toEqual(want.epochs[1].flip!.wilcoxon.top.pHolm);
      expect(got.epochs[0].metrics.trainLoss).toBeNaN();
      for (let i = 0; i < got.epochs[2].lnR.length; i++) expect(got.epochs[2].lnR[i]).toBe(Math.fround(want.epochs[2].lnR[i]));
    }
    // The stored form is a fixed point.
    expect(serializeRunBundle(back)).toBe(text);
  });

  it('reads a bundle without seedRuns (written before the field) unchanged, with seeds = 1', () => {
    const b = makeBundle(3);
    const old = JSON.parse(serializeRunBundle(b));
    delete old.config.seeds;
    const back = parseRunBundle(JSON.stringify(old));
    expect(back.seedRuns).toBeUndefined();
    expect(back.config.seeds).toBe(1);
    expect(serializeRunBundle(back)).toBe(serializeRunBundle(b));
  });

  it("refuses a seed that is not one of the config's other seeds, or twice the same", () => {
    const b = seedBundle(3);
    b.seedRuns![1].seed = 5; // seed_0 itself
    expect(formatError(() => serializeRunBundle(b)).field).toBe('seedRuns[1].seed');
    const c = seedBundle(3);
    c.seedRuns![1].seed = 6;
    expect(formatError(() => serializeRunBundle(c)).message).toMatch(/twice/);
    const d = seedBundle(2);
    d.config = { ...d.config, seeds: 1 };
    expect(formatError(() => serializeRunBundle(d)).field).toBe('seedRuns[0].seed');
  });

  it("checks a seed run's snapshots with the same rules as the main run's", () => {
    const b = seedBundle(2);
    b.seedRuns![0].epochs[1].lnR = b.seedRuns![0].epochs[1].lnR.slice(1);
    expect(formatError(() => serializeRunBundle(b)).field).toBe('seedRuns[0].epochs[1].lnR');
    const c = seedBundle(2);
    c.seedRuns![0].epochs.reverse();
    expect(formatError(() => serializeRunBundle(c)).message).toMatch(/strictly increasing/);
  });
});
