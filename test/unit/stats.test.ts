import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng';
import {
  bootstrapMeanBand,
  erf,
  erfc,
  holm,
  mean,
  median,
  normalCdf,
  normalSf,
  pairedEffectSize,
  quantile,
  variance,
  wilcoxonNullCounts,
  wilcoxonSignedRank,
  zTestPaper,
} from '../../src/core/stats';

const relClose = (got: number, want: number, tol: number) => {
  expect(Math.abs(got - want) / Math.abs(want)).toBeLessThanOrEqual(tol);
};

describe('normal distribution (Cody erfc)', () => {
  // High-precision values (mpmath, 40 digits).
  const phi: [number, number][] = [
    [-1, 0.15865525393145705141],
    [-5, 2.8665157187919391167e-7],
    [-10, 7.619853024160526066e-24],
    [1.96, 0.97500210485177956379],
    [-37, 5.7255712225245768227e-300],
    [-3, 0.0013498980316300945267],
    [0.3, 0.61791142218895263307],
    [-0.3, 0.38208857781104736693],
    [2.5, 0.99379033467422386483],
    [-20, 2.7536241186062336951e-89],
  ];
  it.each(phi)('Phi(%d) to 1e-12 relative', (z, want) => relClose(normalCdf(z), want, 1e-12));

  const erfcs: [number, number][] = [
    [0.1, 0.8875370839817151016],
    [0.46875, 0.50738652678206200841],
    [0.5, 0.47950012218695346232],
    [1, 0.15729920705028513066],
    [2, 0.0046777349810472658379],
    [3, 0.000022090496998585441373],
    [4, 1.5417257900280018852e-8],
    [4.5, 1.9661604415428874763e-10],
    [5, 1.5374597944280348502e-12],
    [10, 2.088487583762544757e-45],
    [26, 5.6631924088561428465e-296],
  ];
  it.each(erfcs)('erfc(%d) to 1e-13 relative', (x, want) => relClose(erfc(x), want, 1e-13));

  it('symmetries and limits', () => {
    expect(normalCdf(0)).toBe(0.5);
    for (const x of [0.2, 0.46875, 0.9, 3.99, 4.01, 7]) {
      expect(erfc(x) + erfc(-x)).toBeCloseTo(2, 15);
      expect(erf(-x)).toBe(-erf(x));
      relClose(normalSf(x), normalCdf(-x), 1e-15);
    }
    expect(erfc(30)).toBe(0);
    expect(erfc(-30)).toBe(2);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(-Infinity)).toBe(0);
  });

  it('is continuous across the approximation intervals', () => {
    for (const b of [0.46875, 4]) {
      const lo = erfc(b * (1 - 1e-12));
      const hi = erfc(b * (1 + 1e-12));
      // d erfc/dx = -2/sqrt(pi) exp(-x^2): the jump must be only what that slope predicts.
      const slope = (2 / Math.sqrt(Math.PI)) * Math.exp(-b * b);
      expect(Math.abs(lo - hi - slope * 2e-12 * b) / erfc(b)).toBeLessThan(1e-14);
    }
  });
});

describe('descriptive statistics', () => {
  it('mean, variance (ddof), median, quantile (numpy linear)', () => {
    const x = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(x)).toBe(5);
    expect(variance(x, 0)).toBe(4);
    expect(variance(x, 1)).toBeCloseTo(32 / 7, 15);
    expect(median(x)).toBe(4.5);
    expect(median([3, 1, 2])).toBe(2);
    // numpy.quantile([1,2,3,4], 0.1) = 1.3
    expect(quantile([4, 3, 2, 1], 0.1)).toBeCloseTo(1.3, 15);
  });
});

/** P(W+ >= w) for the ranks `ranks` by brute-force enumeration of all 2^n sign patterns. */
function bruteUpperTail(ranks: number[], w: number): number {
  const n = ranks.length;
  let c = 0;
  for (let m = 0; m < 1 << n; m++) {
    let s = 0;
    for (let i = 0; i < n; i++) if (m & (1 << i)) s += ranks[i];
    if (s >= w - 1e-9) c++;
  }
  return c / (1 << n);
}

describe('Wilcoxon signed-rank', () => {
  it('null counts sum to 2^n and match enumeration for n = 5..10', () => {
    for (let n = 5; n <= 10; n++) {
      const counts = wilcoxonNullCounts(n);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(2 ** n);
      const ranks = Array.from({ length: n }, (_, i) => i + 1);
      for (let w = 0; w <= (n * (n + 1)) / 2; w++) {
        let tail = 0;
        for (let v = w; v < counts.length; v++) tail += counts[v];
        expect(tail / 2 ** n).toBe(bruteUpperTail(ranks, w));
      }
    }
  });

  it('textbook critical values', () => {
    // n = 5, all positive: W+ = 15, the only pattern that extreme -> p = 1/32.
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5]).p).toBe(1 / 32);
    // n = 10: one-sided 5% critical value T- <= 10 has P = 43/1024 = 0.0420; T- = 11 gives 0.0527.
    const withTminus = (tm: number[]) => Array.from({ length: 10 }, (_, i) => (tm.includes(i + 1) ? -(i + 1) : i + 1));
    expect(wilcoxonSignedRank(withTminus([1, 2, 3, 4])).p).toBeCloseTo(43 / 1024, 15); // T- = 10
    expect(wilcoxonSignedRank(withTminus([5, 6])).p).toBeCloseTo(54 / 1024, 15); // T- = 11
    expect(wilcoxonSignedRank(withTminus([1, 2, 3, 4]), 'less').p).toBeCloseTo(1 - 33 / 1024, 15); // P(W+ <= 45) = 1 - P(T- <= 9), table 0.0322
  });

  // Reference p-values computed with scipy.stats.wilcoxon 1.17.1 (zero_method="wilcox", correction=False).
  const tiesZeroSmall = [0.5, -1.2, 2.0, 2.0, 0.7, -0.7, 1.5, 3.1, 0.0, 0.9];
  const ties20 = [1, 2, -1, 3, 2, -2, 4, 1, 1, -3, 5, 2, 0, 3, -1, 2, 4, -4, 1, 2];
  const noTies20 = [0.31, -0.12, 1.4, 0.77, -0.55, 2.1, 0.05, -0.9, 1.15, 0.66, -0.2, 0.48, 1.9, -1.3, 0.83, 0.27, -0.61, 1.05, 0.39, 0.92];
  it.each([
    ['tiesZeroSmall (sign-flip permutation)', tiesZeroSmall, 37.5, [0.04296875, 0.96875, 0.0859375]],
    ['ties20 (normal, tie-corrected)', ties20, 142.5, [0.02700380411444125, 0.9729961958855587, 0.0540076082288825]],
    ['noTies20 (exact)', noTies20, 158, [0.02422046661376953, 0.9779729843139648, 0.04844093322753906]],
  ] as [string, number[], number, number[]][])('matches scipy: %s', (_name, d, rPlus, ps) => {
    const g = wilcoxonSignedRank(d, 'greater');
    expect(g.rPlus).toBe(rPlus);
    relClose(g.p, ps[0], 1e-12);
    relClose(wilcoxonSignedRank(d, 'less').p, ps[1], 1e-12);
    relClose(wilcoxonSignedRank(d, 'two-sided').p, ps[2], 1e-12);
  });

  it('reports median and mean of the differences; all-zero differences give p = 1', () => {
    const r = wilcoxonSignedRank([3, -1, 0, 2]);
    expect(r.medianDiff).toBe(1);
    expect(r.meanDiff).toBe(1);
    expect(r.n).toBe(3);
    expect(wilcoxonSignedRank([0, 0, 0]).p).toBe(1);
  });
});

describe('Holm correction', () => {
  it('step-down, monotone, capped at 1, input order kept', () => {
    // Sorted: 0.01*4 = 0.04, 0.03*3 = 0.09, 0.04*2 = 0.08 -> raised to 0.09, 0.5*1 = 0.5.
    const adj = holm([0.04, 0.5, 0.01, 0.03]);
    [0.09, 0.5, 0.04, 0.09].forEach((want, i) => expect(adj[i]).toBeCloseTo(want, 15));
    expect(holm([0.6, 0.9])).toEqual([1, 1]);
    const nanKept = holm([0.01, NaN, 0.02]);
    expect(nanKept[0]).toBeCloseTo(0.02, 15);
    expect(Number.isNaN(nanKept[1])).toBe(true);
    expect(nanKept[2]).toBeCloseTo(0.02, 15);
  });
});

describe('paper z test', () => {
  it('uses sample variances (ddof = 1) and the one-sided normal tail', () => {
    const top = [1, 2, 3];
    const rand = [0, 1, 0, 1, 0, 1];
    const r = zTestPaper(top, rand);
    expect(r.d).toBeCloseTo(1.5, 15);
    // var(top) = 1, var(rand) = 0.3: sigma^2 = 1/3 + 0.3/6.
    expect(r.sigma).toBeCloseTo(Math.sqrt(1 / 3 + 0.05), 15);
    relClose(r.p, normalCdf(-1.5 / Math.sqrt(1 / 3 + 0.05)), 1e-15);
  });
});

describe('bootstrap band and effect size', () => {
  it('band of a mean covers ~95% and has the width the CLT predicts', () => {
    const rng = createRng(7);
    let covered = 0;
    const reps = 200;
    let widthSum = 0;
    for (let r = 0; r < reps; r++) {
      const x = Array.from({ length: 40 }, () => rng.normal());
      const [lo, hi] = bootstrapMeanBand(x, { seed: r, resamples: 400 });
      if (lo <= 0 && 0 <= hi) covered++;
      widthSum += hi - lo;
    }
    // Percentile bootstrap with n = 40 slightly undercovers; binomial sd at 200 reps ~ 1.5%.
    expect(covered / reps).toBeGreaterThan(0.88);
    expect(covered / reps).toBeLessThan(0.99);
    // Width ~ 2 * 1.96 / sqrt(40) * sqrt(39/40) = 0.612 (bootstrap uses the plug-in sd).
    expect(widthSum / reps).toBeGreaterThan(0.55);
    expect(widthSum / reps).toBeLessThan(0.66);
  });

  it('is reproducible from its seed', () => {
    const x = [0.3, -1, 2, 0.5, 1.1];
    expect(bootstrapMeanBand(x, { seed: 3 })).toEqual(bootstrapMeanBand(x, { seed: 3 }));
  });

  it('effect size is mean / sd of the paired differences', () => {
    expect(pairedEffectSize([1, 2, 3])).toBeCloseTo(2, 15);
    expect(Number.isNaN(pairedEffectSize([1, 1, 1]))).toBe(true);
  });
});
