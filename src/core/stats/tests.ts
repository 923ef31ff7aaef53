/**
 * Hypothesis tests used by the flip test: the paper's one-sided z test, the paired Wilcoxon
 * signed-rank test (scipy.stats.wilcoxon conventions), Holm's step-down correction,
 * a seeded bootstrap band of a mean and a paired effect size.
 */
import { createRng, type Rng } from '../rng';
import { averageRanks, mean, median, quantileSorted, std, variance, type NumVec } from './descriptive';
import { normalCdf, normalSf } from './normal';

/** Result of the paper's z test. */
export interface ZTestResult {
  /** d = mean(top) - mean(random). */
  d: number;
  /** sigma = sqrt(var(top)/B + var(random)/(R*B)), sample variances (ddof = 1). */
  sigma: number;
  /** One-sided p = Phi(-d / sigma) (alternative: top > random). */
  p: number;
}

/**
 * The paper's one-sided z test of "flipping the top-k raises the loss more than random flips".
 * `top` holds dL per image [B]; `random` holds all R*B random-flip dL values (any order), which
 * the paper treats as independent (reviewer 1's objection; the paired Wilcoxon test does not).
 * Variances are sample variances with ddof = 1 (this reproduces the reference fixtures; ddof = 0
 * is ~15% off for B = 3).
 */
export function zTestPaper(top: NumVec, random: NumVec): ZTestResult {
  const B = top.length;
  const RB = random.length;
  const d = mean(top) - mean(random);
  const sigma = Math.sqrt(variance(top, 1) / B + variance(random, 1) / RB);
  return { d, sigma, p: normalCdf(-d / sigma) };
}

/** Alternative hypothesis for the Wilcoxon test: the differences tend to be > 0, < 0, or either. */
export type Alternative = 'greater' | 'less' | 'two-sided';

/** Result of the Wilcoxon signed-rank test. */
export interface WilcoxonResult {
  /** Sum of the ranks of the positive differences (zeros dropped). */
  rPlus: number;
  /** Number of non-zero differences used. */
  n: number;
  /** p-value for the chosen alternative. */
  p: number;
  /** "exact" (null distribution by enumeration) or "approx" (normal, tie-corrected). */
  method: 'exact' | 'approx';
  /** Median and mean of all differences (zeros included). */
  medianDiff: number;
  meanDiff: number;
}

/** Largest sample size (zeros included) for which an exact null distribution is used (scipy's 'auto'). */
export const WILCOXON_EXACT_MAX_N = 50;
/** Largest sample size (zeros included) for which ties/zeros are handled by enumerating all 2^n sign flips. */
export const WILCOXON_PERMUTATION_MAX_N = 13;

/**
 * Null distribution of W+ for n untied non-zero ranks: counts[w] = number of the 2^n sign
 * patterns whose positive ranks sum to w, w = 0..n(n+1)/2. Exact in float64 for n <= 52.
 */
export function wilcoxonNullCounts(n: number): Float64Array {
  const maxW = (n * (n + 1)) / 2;
  const counts = new Float64Array(maxW + 1);
  counts[0] = 1;
  let top = 0;
  for (let r = 1; r <= n; r++) {
    // Including rank r among the positives shifts the sum by r; iterate downwards in place.
    for (let w = top; w >= 0; w--) counts[w + r] += counts[w];
    top += r;
  }
  return counts;
}

/** Combines lower/upper tail probabilities into the p-value of an alternative (two-sided: doubled smaller tail, capped at 1). */
function tailP(lower: number, upper: number, alternative: Alternative): number {
  if (alternative === 'greater') return upper;
  if (alternative === 'less') return lower;
  return Math.min(1, 2 * Math.min(lower, upper));
}

/**
 * Wilcoxon signed-rank test on paired differences `diffs` [n], reproducing
 * scipy.stats.wilcoxon (scipy 1.17) with zero_method = "wilcox" (zero differences are dropped
 * before ranking), correction = False and method = "auto":
 *  - n > 50 (n counts zeros, as scipy does): normal approximation;
 *  - else, no zeros and no tied |d|: exact null distribution of W+ (2^n equally likely signs);
 *  - else, n <= 13: exact sign-flip permutation distribution of the tied (average) ranks, i.e.
 *    all 2^n' sign patterns of the n' non-zero differences (what scipy's permutation test does);
 *  - else: normal approximation.
 * The normal approximation uses mean n'(n'+1)/4 and the tie-corrected variance
 * n'(n'+1)(2n'+1)/24 - sum over tie groups (t^3 - t)/48, without continuity correction.
 * (Older scipy, 1.9-1.12, switched to the normal approximation whenever ties or zeros occur;
 * both agree whenever there are none, as in all reference fixtures.)
 * With no non-zero difference left the test has no evidence either way and returns p = 1.
 */
export function wilcoxonSignedRank(diffs: NumVec, alternative: Alternative = 'greater'): WilcoxonResult {
  const medianDiff = median(diffs);
  const meanDiff = mean(diffs);
  const nonzero: number[] = [];
  for (let i = 0; i < diffs.length; i++) if (diffs[i] !== 0) nonzero.push(diffs[i]);
  const n = nonzero.length;
  if (n === 0) return { rPlus: 0, n: 0, p: 1, method: 'exact', medianDiff, meanDiff };
  const { ranks, tieSizes } = averageRanks(nonzero.map(Math.abs));
  let rPlus = 0;
  for (let i = 0; i < n; i++) if (nonzero[i] > 0) rPlus += ranks[i];
  const total = (n * (n + 1)) / 2;
  const nAll = diffs.length;
  const clean = tieSizes.length === 0 && n === nAll;

  if (nAll <= WILCOXON_EXACT_MAX_N && clean) {
    const counts = wilcoxonNullCounts(n);
    const all = 2 ** n;
    const r = Math.round(rPlus); // an integer: no ties
    let upper = 0;
    for (let w = r; w <= total; w++) upper += counts[w];
    let lower = 0;
    for (let w = 0; w <= r; w++) lower += counts[w];
    return { rPlus, n, p: tailP(lower / all, upper / all, alternative), method: 'exact', medianDiff, meanDiff };
  }
  if (nAll <= WILCOXON_PERMUTATION_MAX_N) {
    // Average ranks are multiples of 1/2, so doubled sums are exact integers: compare those.
    const r2 = Math.round(2 * rPlus);
    const twice = Array.from(ranks, (r) => Math.round(2 * r));
    let upper = 0;
    let lower = 0;
    const patterns = 1 << n;
    for (let mask = 0; mask < patterns; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) if (mask & (1 << i)) s += twice[i];
      if (s >= r2) upper++;
      if (s <= r2) lower++;
    }
    return {
      rPlus,
      n,
      p: tailP(lower / patterns, upper / patterns, alternative),
      method: 'exact',
      medianDiff,
      meanDiff,
    };
  }

  const mn = total / 2;
  let v = (n * (n + 1) * (2 * n + 1)) / 24;
  for (const t of tieSizes) v -= (t * t * t - t) / 48;
  const z = (rPlus - mn) / Math.sqrt(v);
  return { rPlus, n, p: tailP(normalCdf(z), normalSf(z), alternative), method: 'approx', medianDiff, meanDiff };
}

/**
 * Holm's step-down adjustment of m p-values (family-wise error control): with p sorted
 * ascending, adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)), returned in the input order.
 * NaN entries are left NaN and do not count towards m.
 */
export function holm(p: NumVec): number[] {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) if (!Number.isNaN(p[i])) idx.push(i);
  idx.sort((a, b) => p[a] - p[b] || a - b);
  const m = idx.length;
  const out = Array.from({ length: p.length }, () => NaN);
  let running = 0;
  for (let j = 0; j < m; j++) {
    running = Math.max(running, Math.min(1, (m - j) * p[idx[j]]));
    out[idx[j]] = running;
  }
  return out;
}

/** Options of bootstrapMeanBand. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Central coverage of the band (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 0); ignored when `rng` is given. */
  seed?: number;
  rng?: Rng;
}

/**
 * Percentile bootstrap band of the mean of x: resample x with replacement `resamples` times,
 * return the (1 - level)/2 and (1 + level)/2 quantiles of the resampled means as [lo, hi].
 * Seeded, so the same x and seed always give the same band. NaN for an empty x.
 */
export function bootstrapMeanBand(x: NumVec, opts: BootstrapOptions = {}): [number, number] {
  const n = x.length;
  if (n === 0) return [NaN, NaN];
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = opts.rng ?? createRng(opts.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[rng.int(n)];
    means[b] = s / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return [quantileSorted(means, alpha), quantileSorted(means, 1 - alpha)];
}

/**
 * Standardised effect size of paired differences: mean(diffs) / sd(diffs) (sd with ddof = 1),
 * i.e. Cohen's d_z. NaN when n < 2 or all differences are equal.
 */
export function pairedEffectSize(diffs: NumVec): number {
  const s = std(diffs, 1);
  if (!(s > 0)) return NaN;
  return mean(diffs) / s;
}
