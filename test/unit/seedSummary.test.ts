/**
 * Claims across seeds (src/core/seedSummary.ts) on constructed snapshots, and Student's t
 * (src/core/stats/studentT.ts) against closed forms (df = 1, 2) and published table values.
 */
import { describe, expect, it } from 'vitest';
import { epochClaims, meanInterval, summarizeSeeds, type ClaimInput } from '../../src/core/seedSummary';
import { regularizedBeta, studentTCdf, studentTQuantile } from '../../src/core/stats/studentT';
import type { AlignmentSummary, FlipSummary } from '../../src/core/snapshot';

/** A snapshot with just what the claims read: Holm p of R-top per k, and the alignment series. */
function snap(epoch: number, pHolm: number[] | null, align: Partial<AlignmentSummary> | null): ClaimInput {
  const flip = pHolm
    ? ({
        kList: pHolm.map((_, i) => i + 1),
        wilcoxon: { top: { p: pHolm, pHolm, medianDiff: [], meanDiff: [] } },
      } as unknown as FlipSummary)
    : null;
  const alignment = align
    ? ({ paperStd: [], paperStdRandomQ: [], paperStdMismatched: [], paperStdWhh: [], ...align } as AlignmentSummary)
    : null;
  return { epoch, flip, alignment };
}

describe('Student t', () => {
  it('matches the closed forms for df = 1 (Cauchy) and df = 2', () => {
    for (const p of [0.6, 0.9, 0.975, 0.995, 0.2]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
    for (const t of [-3, -0.5, 0, 0.7, 4]) expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
  });

  it('gives the table values t_{0.975} and tends to the normal quantile', () => {
    const table: [number, number][] = [
      [3, 3.182446305],
      [4, 2.776445105],
      [9, 2.262157163],
      [19, 2.093024054],
      [29, 2.045229642],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 8);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 5);
    // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
    expect(regularizedBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 14);
    expect(regularizedBeta(0.3, 1, 4.5)).toBeCloseTo(1 - 0.7 ** 4.5, 14);
    expect(studentTQuantile(0.975, 0)).toBeNaN();
  });
});

describe('meanInterval', () => {
  it('is the t interval of the finite values; one value has no interval', () => {
    const x = [1, 2, 3, 4, NaN];
    const m = meanInterval(x);
    // mean 2.5, sd = sqrt(5/3), n = 4: half-width t_{0.975,3} sd / 2.
    expect(m.n).toBe(4);
    expect(m.mean).toBe(2.5);
    expect(m.hi - m.mean).toBeCloseTo((3.182446305 * Math.sqrt(5 / 3)) / 2, 8);
    expect(m.mean - m.lo).toBeCloseTo(m.hi - m.mean, 12);
    const one = meanInterval([0.3]);
    expect([one.n, one.mean]).toEqual([1, 0.3]);
    expect(one.lo).toBeNaN();
    expect(meanInterval([]).mean).toBeNaN();
  });
});

describe('epochClaims', () => {
  it('flip: R-top beats random when any Holm p is below alpha', () => {
    const c = epochClaims(snap(3, [0.2, 0.04, NaN, 0.01], null));
    expect(c.flip!.significantK).toEqual([2, 4]);
    expect(c.flip!.topBeatsRandom).toBe(true);
    expect(c.flip!.minPHolm).toBe(0.01);
    expect(epochClaims(snap(3, [0.2, 0.06], null)).flip!.topBeatsRandom).toBe(false);
    expect(epochClaims(snap(3, [0.2, 0.04], null), 0.01).flip!.topBeatsRandom).toBe(false);
    expect(epochClaims(snap(3, null, null)).flip).toBeNull();
  });

  it('alignment: step-mean statistic minus the strongest control, ignoring NaN steps and absent controls', () => {
    const c = epochClaims(
      snap(1, null, {
        paperStd: [NaN, 0.3, 0.5],
        paperStdRandomQ: [0.1, 0.1, 0.1],
        paperStdMismatched: [NaN, 0.2, 0.4],
        paperStdWhh: [0.25, 0.25, 0.25],
      }),
    ).alignment!;
    expect(c.statistic).toBeCloseTo(0.4, 15);
    expect(c.controls).toEqual({ randomQ: expect.closeTo(0.1, 15), mismatched: expect.closeTo(0.3, 15), whh: expect.closeTo(0.25, 15) });
    expect(c.strongest).toBe('mismatched');
    expect(c.gap).toBeCloseTo(0.1, 15);
    // The last-10-Q control counts when present, and can be the strongest.
    const withLast = epochClaims(
      snap(1, null, { paperStd: [0.4], paperStdRandomQ: [0.1], paperStdLastQ: [0.45], paperStdMismatched: [0.2], paperStdWhh: [0.2] }),
    ).alignment!;
    expect(withLast.strongest).toBe('lastQ');
    expect(withLast.gap).toBeCloseTo(-0.05, 15);
    // No finite statistic (e.g. a zero gradient at every step): no claim.
    expect(epochClaims(snap(1, null, { paperStd: [NaN], paperStdRandomQ: [0.1] })).alignment).toBeNull();
  });
});

describe('summarizeSeeds', () => {
  it('one row per epoch, runs missing an epoch are null, count and mean interval over the runs present', () => {
    const align = (gapTo: number) => ({ paperStd: [0.2 + gapTo], paperStdRandomQ: [0.2], paperStdMismatched: [0.1], paperStdWhh: [0.15] });
    const runs = [
      [snap(0, [0.5], align(0)), snap(1, [0.01], align(0.1))],
      [snap(1, [0.2], align(0.3)), snap(0, [0.6], align(0))],
      // Interrupted after epoch 0.
      [snap(0, [0.03], align(0.02))],
    ];
    const rows = summarizeSeeds(runs);
    expect(rows.map((r) => r.epoch)).toEqual([0, 1]);
    expect(rows[0].flipTopBeatsRandom).toEqual({ count: 1, of: 3 });
    expect(rows[1].flipTopBeatsRandom).toEqual({ count: 1, of: 2 });
    expect(rows[1].runs[2]).toBeNull();
    expect(rows[1].runs[0]!.alignment!.gap).toBeCloseTo(0.1, 15);
    expect(rows[1].alignmentGap.n).toBe(2);
    expect(rows[1].alignmentGap.mean).toBeCloseTo(0.2, 15);
    // Two values 0.1 and 0.3: sd/sqrt(2) = 0.1, t_{0.975,1} = 12.7062.
    expect(rows[1].alignmentGap.hi).toBeCloseTo(0.2 + 12.706204736 * 0.1, 8);
    expect(rows[0].alignmentStatistic.mean).toBeCloseTo((0.2 + 0.2 + 0.22) / 3, 15);
  });
});
