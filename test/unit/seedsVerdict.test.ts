/**
 * The across-seed panel's statistics: flipGapAtChosenK reads R-top − random at the snapshot's
 * chosen k, seedsVerdict words the claims across seeds, seedSummaryData lays out dots and means.
 */
import { describe, expect, it } from 'vitest';
import { flipGapAtChosenK, summarizeSeeds, type ClaimInput } from '../../src/core/seedSummary';
import type { AlignmentSummary, FlipSummary } from '../../src/core/snapshot';
import { seedsVerdict } from '../../src/core/verdicts';
import { seedSummaryData } from '../../src/core/transforms/seeds';

/** A snapshot with the flip test's R-top Wilcoxon (per k) and an alignment with one control. */
function snap(epoch: number, meanDiff: number[], pHolm: number[], kFig: number, stat: number, control: number): ClaimInput {
  const flip = {
    kList: meanDiff.map((_, i) => 2 * (i + 1)),
    kFig,
    wilcoxon: { top: { p: pHolm, pHolm, medianDiff: meanDiff, meanDiff } },
  } as unknown as FlipSummary;
  const alignment = {
    paperStd: [stat, stat],
    paperStdRandomQ: [control, control],
    paperStdMismatched: [],
    paperStdWhh: [],
  } as unknown as AlignmentSummary;
  return { epoch, flip, alignment };
}

describe('flipGapAtChosenK', () => {
  it('reads meanDiff at kFig, or at the nearest k when kFig is not among the k values', () => {
    expect(flipGapAtChosenK(snap(1, [0.1, 0.5, 0.9], [1, 1, 1], 4, 0, 0))).toEqual({ k: 4, value: 0.5 });
    expect(flipGapAtChosenK(snap(1, [0.1, 0.5, 0.9], [1, 1, 1], 7, 0, 0))).toEqual({ k: 6, value: 0.9 });
    expect(flipGapAtChosenK({ flip: null })).toBeNull();
  });
});

describe('seedsVerdict', () => {
  it('is supported when every seed rejects and the gap interval lies above 0', () => {
    // Gaps 0.1, 0.2, 0.3: mean 0.2, sd 0.1, half-width t_{0.975,2} * 0.1 / sqrt(3) = 4.303 * 0.0577 = 0.248 -> lo < 0.
    const runs = [0.1, 0.2, 0.3].map((g) => [snap(1, [1], [0.01], 2, 0.5 + g, 0.5)]);
    const v = seedsVerdict(summarizeSeeds(runs)[0], 3);
    expect(v.kind).toBe('qualified');
    expect(v.text).toBe(
      'Epoch 1: R-top beats random after Holm in 3 of 3 seeds; alignment − strongest control 0.2 (95% CI -0.048 to 0.45) over 3 seeds.',
    );
    // Tighter gaps 0.19, 0.2, 0.21: the interval is above 0.
    const tight = [0.19, 0.2, 0.21].map((g) => [snap(1, [1], [0.01], 2, 0.5 + g, 0.5)]);
    expect(seedsVerdict(summarizeSeeds(tight)[0], 3).kind).toBe('supported');
  });

  it('is null when no seed rejects and the interval is below 0; says how many seeds are in so far', () => {
    const runs = [-0.21, -0.2].map((g) => [snap(2, [-1], [0.9], 2, 0.5 + g, 0.5)]);
    const v = seedsVerdict(summarizeSeeds(runs)[0], 4);
    expect(v.kind).toBe('null');
    expect(v.text).toMatch(/in 0 of 2 seeds; .* over 2 seeds \(2 of 4 seeds analysed so far\)\.$/);
    expect(seedsVerdict(null, 3).kind).toBe('unavailable');
  });
});

describe('seedSummaryData', () => {
  it('gives one dot per seed and epoch for each claim, and the mean per epoch', () => {
    const runs = [7, 8, 9].map((seed, r) => ({
      seed,
      epochs: [snap(0, [r, 0], [1, 1], 2, 0.3, 0.2 + 0.01 * r), snap(1, [0, 2 * r], [1, 1], 4, 0.4, 0.1)] as never[],
    }));
    const d = seedSummaryData(runs);
    expect(d.seeds).toEqual([7, 8, 9]);
    expect(d.flip.label).toBe('R-top − random ΔL at the chosen k');
    expect(d.flip.points.filter((p) => p.epoch === 1).map((p) => p.value)).toEqual([0, 2, 4]);
    expect(d.flip.means.map((m) => [m.epoch, m.n, m.mean])).toEqual([
      [0, 3, 1],
      [1, 3, 2],
    ]);
    expect(d.alignment.points.filter((p) => p.epoch === 0).map((p) => p.value)).toEqual(
      [0.3 - 0.2, 0.3 - 0.21, 0.3 - 0.22].map((x) => expect.closeTo(x, 15)) as never,
    );
    expect(d.alignment.means[1].mean).toBeCloseTo(0.3, 15);
  });
});
