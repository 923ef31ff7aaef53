/**
 * The transforms behind the charts, tables and verdicts (src/core/transforms/, the one
 * finiteMean / quantile / median of core/stats/descriptive.ts), on small inputs whose expected
 * numbers are worked out by hand in the comments, and a check that a verdict reads the very
 * numbers its chart draws.
 */
import { describe, expect, it } from 'vitest';
import type { AlignmentSummary, FlipSummary } from '../../src/core/snapshot';
import type { SeedSummaryEpoch } from '../../src/core/seedSummary';
import { finiteMean, median, quantile } from '../../src/core/stats/descriptive';
import { alignmentSeries } from '../../src/core/transforms/alignment';
import { flipChartData, flipTable, rankingOrder, randomBaseline, rankingMeans } from '../../src/core/transforms/flip';
import { seedVerdictRow } from '../../src/core/transforms/seeds';
import { probeSeries, spectrumChartData, spectrumStats } from '../../src/core/transforms/spectrum';
import { alignmentNumbers, compareRankingsWithRandom, spectrumVerdict } from '../../src/core/verdicts';

describe('descriptive statistics on finite entries', () => {
  it('finiteMean skips NaN and infinities', () => {
    expect(finiteMean([1, Number.NaN, 3, Number.POSITIVE_INFINITY])).toBe(2);
    expect(finiteMean([Number.NaN])).toBeNaN();
    expect(finiteMean([])).toBeNaN();
  });
  it('quantile interpolates linearly between the sorted finite entries (numpy linear)', () => {
    expect(quantile([3, 1, 2, Number.NaN], 0.5)).toBe(2);
    // sorted 1, 2, 4, 8: position 0.25 * 3 = 0.75 -> 1 + 0.75 * (2 - 1) = 1.75
    expect(quantile([8, 4, 2, 1], 0.25)).toBe(1.75);
    expect(quantile([Number.NaN], 0.5)).toBeNaN();
  });
  it('median is the middle value, or (a + b) / 2 of the two middle values as numpy.median', () => {
    expect(median([4, 1, 3, 2, Number.NaN])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    // numpy.median([0.1, 0.2]) = 0.15000000000000002 = (0.1 + 0.2) / 2, not 0.1 + 0.5 * (0.2 - 0.1).
    expect(median([0.2, 0.1])).toBe((0.1 + 0.2) / 2);
    expect(median([])).toBeNaN();
  });
});

/** K = 2 (k = 1, 3), B = 2 or 3 probes, R = 5 draws; every mean below is worked out in the comments. */
function flip(): FlipSummary {
  return {
    n: 1,
    kList: [1, 3],
    R: 5,
    baseLoss: [0, 0],
    // top: k=1 mean of (1, 2) = 1.5 (NaN skipped); k=3 mean of (4, 6, 8) = 6. saliency: 1, 1.
    dL: {
      saliency: [
        [0, 0, 3],
        [1, 1, 1],
      ],
      top: [
        [1, 2, Number.NaN],
        [4, 6, 8],
      ],
    },
    // Per-draw means: k=1 0.5, 2.5, 4.5, 6.5, 8.5 (mean 4.5); k=3 1, 1, 1, 1, 3 (mean 1.4).
    dLRand: [
      [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
        [8, 9],
      ],
      [
        [1, 1],
        [1, 1],
        [1, 1],
        [1, 1],
        [Number.NaN, 3],
      ],
    ],
    zTest: { d: [0, 0], sigma: [1, 1], p: [0.5, 0.01], pHolm: [0.5, 0.02] },
    wilcoxon: { top: { medianDiff: [0, 0], meanDiff: [-3, 4.6], p: [0.9, 0.01], pHolm: [0.9, 0.02] } },
    band: {
      top: [
        [1, 2],
        [4, 8],
      ],
    },
    effect: { top: [-1, 2], saliency: [-2, -1] },
    singleFlip: [],
    scores: [],
    absDLdx: [],
    kFig: 3,
    softmaxOrig: [],
    softmaxTop: [],
    softmaxRand: [],
  };
}

describe('flip transforms', () => {
  it('per-k means of each ranking and the random baseline with its 5-95% band', () => {
    const f = flip();
    expect(rankingMeans(f, 'top')).toEqual([1.5, 6]);
    expect(rankingMeans(f, 'absent').every(Number.isNaN)).toBe(true);
    const r = randomBaseline(f);
    expect(r.mean).toEqual([4.5, 1.4]);
    // k=1: positions 0.05 * 4 = 0.2 -> 0.5 + 0.2 * 2 = 0.9; 0.95 * 4 = 3.8 -> 6.5 + 0.8 * 2 = 8.1.
    expect(r.q05[0]).toBeCloseTo(0.9, 14);
    expect(r.q95[0]).toBeCloseTo(8.1, 14);
    // k=3: sorted 1, 1, 1, 1, 3: 5% -> 1; 95% -> 1 + 0.8 * 2 = 2.6.
    expect(r.q05[1]).toBe(1);
    expect(r.q95[1]).toBeCloseTo(2.6, 14);
  });

  it('orders rankings as RANKING_ORDER, then the others; the chart data carries curves, band and Holm p', () => {
    const f = flip();
    f.dL.custom = [
      [0, 0],
      [0, 0],
    ];
    expect(rankingOrder(f)).toEqual(['top', 'saliency', 'custom']);
    const chart = flipChartData(f);
    expect(chart.kList).toEqual([1, 3]);
    expect(chart.curves.map((c) => c.name)).toEqual(['top', 'saliency', 'custom']);
    expect(chart.curves[0].band).toEqual(f.band.top);
    expect(chart.curves[1].band).toBeNull();
    expect(chart.curves[1].mean).toEqual([1, 1]);
    expect(chart.topPHolm).toEqual([0.9, 0.02]);
    expect(flipChartData(f, ['saliency']).curves.map((c) => c.name)).toEqual(['saliency']);
  });

  it('the per-k table and the verdict read the numbers the chart draws', () => {
    const f = flip();
    const chart = flipChartData(f);
    const rows = flipTable(f, 'top');
    expect(rows.map((r) => r.meanRanking)).toEqual(chart.curves[0].mean);
    expect(rows.map((r) => r.meanRandom)).toEqual(chart.random.mean);
    expect(rows[1]).toMatchObject({ k: 3, wilcoxonP: 0.01, wilcoxonPHolm: 0.02, effect: 2, zP: 0.01, zPHolm: 0.02 });
    expect(flipTable(f, 'saliency')[0].zP).toBeNaN();
    // R-top 1.5 < random 4.5 at k = 1, 6 > 1.4 at k = 3: the verdict's "below random" is k = 1 only.
    const top = compareRankingsWithRandom(f).find((c) => c.name === 'top')!;
    expect(top.belowRandomK).toEqual([1]);
    expect(top.significantK).toEqual([3]);
  });
});

describe('spectrum transforms', () => {
  const spectrum = [
    [0.2, -0.1],
    [Number.NaN, -0.3],
    [0.4, -0.5],
  ];
  it('mean, min and max over the finite probes per exponent', () => {
    const s = spectrumStats(spectrum);
    expect(s.mean[0]).toBeCloseTo(0.3, 15);
    expect(s.mean[1]).toBeCloseTo(-0.3, 15);
    expect(s.min).toEqual([0.2, -0.5]);
    expect(s.max).toEqual([0.4, -0.1]);
    expect(spectrumStats([[Number.NaN]]).mean[0]).toBeNaN();
  });
  it('the verdict quotes lambda_1 as the chart draws it', () => {
    const s = spectrumStats(spectrum);
    const v = spectrumVerdict(spectrum);
    expect(v.kind).toBe('chaotic');
    expect(v.text).toContain(`λ1 = ${Number(s.mean[0].toPrecision(2))} ln/step (probes 0.2 … 0.4)`);
  });
  it('keeps the last maxEarlier earlier epochs, oldest first, with their means', () => {
    const earlier = [1, 2, 3, 4, 5, 6].map((e) => ({ epoch: e, spectrum: [[e, 0]] }));
    const d = spectrumChartData({ epoch: 7, spectrum }, earlier);
    expect(d.epoch).toBe(7);
    expect(d.earlier.map((e) => e.epoch)).toEqual([3, 4, 5, 6]);
    expect(d.earlier[3].mean).toEqual([6, 0]);
    expect(spectrumChartData({ epoch: 7, spectrum }, earlier, 0).earlier).toEqual([]);
  });
  it('probe series: ln r_1(t) and its running mean', () => {
    // lnR [T=3][k=2]: ln r_1 = 1, 3, -1; running means 1, 2, 1.
    const p = probeSeries([1, 9, 3, 9, -1, 9], 3, 2);
    expect(p.lnR1).toEqual([1, 3, -1]);
    expect(p.ftle1).toEqual([1, 2, 1]);
  });
});

/** An alignment summary over 2 steps with m = 1, 2 and N = 16. */
function alignment(scale: number): AlignmentSummary {
  return {
    steps: [7, 14],
    paperStd: [0.2 * scale, Number.NaN],
    paperStdRandomQ: [0.1, 0.3],
    paperStdMismatched: [0.1, 0.1],
    paperStdWhh: [0.05, 0.15],
    nullCosStd: 0.25,
    m: [1, 2],
    overlapLeft: [
      [0.1, 0.5],
      [0.3, 0.7],
    ],
    overlapRight: [
      [0, 0],
      [0, 0],
    ],
    overlapLeftStd: [
      [0, 0],
      [0, 0],
    ],
    overlapRightStd: [
      [0, 0],
      [0, 0],
    ],
    overlapLeftMismatched: [
      [0, 0],
      [0, 0],
    ],
    overlapLeftWhh: [
      [0, 0],
      [0, 0],
    ],
    overlapNull: [1 / 16, 2 / 16],
    cosMatrix: [],
    effectiveRank: [],
  };
}

describe('alignment transforms', () => {
  it('per-epoch means over steps at one m, the null levels, and the verdict reads the same statistic', () => {
    const s = alignmentSeries(
      [
        { epoch: 0, alignment: alignment(1) },
        { epoch: 1, alignment: null },
        { epoch: 2, alignment: alignment(2) },
      ],
      2,
    );
    expect(s.epochs).toEqual([0, 2]);
    expect(s.paperStd).toEqual([0.2, 0.4]); // the NaN step skipped
    expect(s.paperStdRandomQ[0]).toBeCloseTo(0.2, 15);
    expect(s.paperStdLastQ.every(Number.isNaN)).toBe(true);
    expect(s.m).toBe(2);
    expect(s.overlapLeft[0]).toBeCloseTo(0.6, 15); // column m = 2: (0.5 + 0.7) / 2
    expect(s.N).toBe(16);
    expect(s.nullCosStdLevel).toBe(0.25);
    expect(s.overlapNullLevel).toBe(0.125);
    expect(alignmentNumbers(alignment(1)).paper).toBe(s.paperStd[0]);
  });
});

describe('seed transforms', () => {
  const row = (epoch: number, runs: (null | 1)[]): SeedSummaryEpoch =>
    ({ epoch, runs: runs.map((r) => (r ? { epoch, flip: null, alignment: null } : null)) }) as unknown as SeedSummaryEpoch;
  it('the verdict row is the newest epoch every seed has, else the newest any seed has', () => {
    expect(seedVerdictRow([row(0, [1, 1]), row(1, [1, null])])?.epoch).toBe(0);
    expect(seedVerdictRow([row(0, [1, null]), row(1, [1, null])])?.epoch).toBe(1);
    expect(seedVerdictRow([])).toBeNull();
  });
});
