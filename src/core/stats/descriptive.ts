/**
 * Descriptive statistics on plain float64 arrays. All functions accept number[] or any typed array.
 */

/** A read-only numeric vector (number[] or a typed array). */
export type NumVec = ArrayLike<number>;

/** Arithmetic mean of x (NaN for an empty vector). */
export function mean(x: NumVec): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/**
 * Variance of x with `ddof` delta degrees of freedom: sum (x - mean)^2 / (n - ddof).
 * ddof = 1 (the default) is the unbiased sample variance; NaN when n <= ddof.
 */
export function variance(x: NumVec, ddof = 1): number {
  const n = x.length;
  if (n - ddof <= 0) return NaN;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - m;
    s += d * d;
  }
  return s / (n - ddof);
}

/** Standard deviation sqrt(variance(x, ddof)). */
export function std(x: NumVec, ddof = 1): number {
  return Math.sqrt(variance(x, ddof));
}

/**
 * Quantile of the finite entries of x at probability q in [0, 1] with linear interpolation between
 * order statistics (numpy's default "linear" method, R-7: position q * (n - 1) in the sorted
 * finite entries). NaN when x has no finite entry. The one quantile of the project: charts' bands,
 * tests and summaries all call it.
 */
export function quantile(x: NumVec, q: number): number {
  const sorted = finiteSorted(x);
  return sorted.length ? quantileSorted(sorted, q) : NaN;
}

/** quantile() on an already ascending-sorted vector. */
export function quantileSorted(sorted: NumVec, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

/**
 * Median of the finite entries of x: the middle value for odd n, the mean of the two middle values
 * for even n (numpy.median's arithmetic, (a + b) / 2). NaN when x has no finite entry.
 */
export function median(x: NumVec): number {
  const s = finiteSorted(x);
  const n = s.length;
  if (n === 0) return NaN;
  const m = n >> 1;
  return n % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Mean of the finite entries of x (NaN when there are none): NaN and +-Infinity entries are skipped. */
export function finiteMean(x: NumVec): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

/** The finite entries of x, ascending, as a new Float64Array. */
function finiteSorted(x: NumVec): Float64Array {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) out[j++] = x[i];
  return out.sort();
}

/**
 * Average ranks (1-based) of x, ties receiving the mean of the ranks they span
 * (scipy.stats.rankdata "average"). Also returns the sizes of the tie groups (> 1 only).
 */
export function averageRanks(x: NumVec): { ranks: Float64Array; tieSizes: number[] } {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(n);
  const tieSizes: number[] = [];
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && x[idx[j]] === x[idx[i]]) j++;
    const r = (i + 1 + j) / 2; // mean of ranks i+1..j
    for (let m = i; m < j; m++) ranks[idx[m]] = r;
    if (j - i > 1) tieSizes.push(j - i);
    i = j;
  }
  return { ranks, tieSizes };
}
