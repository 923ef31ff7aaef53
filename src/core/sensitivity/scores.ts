/**
 * Per-step expansion scores, step rankings and the flip rule of the input-sensitivity test
 * (method.md §5; the reference's exact definitions are the `score` and `rule` strings of every
 * fixture's `flip` block).
 */

/** Flip threshold: an input component below this becomes 1.0, any other becomes 0.0. */
export const FLIP_THRESHOLD = 0.001;

/** The flip rule for one input component: x < 0.001 -> 1.0, else -> 0.0. */
export function flipValue(x: number): number {
  return x < FLIP_THRESHOLD ? 1 : 0;
}

/**
 * Per-step scores s_t(n) = (1/n) sum_{i<=n} ln r_i(t) (not cumulative), ln per step: THE definition
 * of the score, used by the flip test, the app's analysis and every panel that draws it.
 * lnR: flat [B][T][k] ln diag(R_t) (the snapshot's lnR); 1 <= n <= k. Returns flat [B][T].
 */
export function stepScoresFromLnR(lnR: ArrayLike<number>, B: number, T: number, k: number, n = 1): Float64Array {
  if (!(n >= 1 && n <= k)) throw new RangeError(`score n = ${n} must be in 1..${k}`);
  if (lnR.length !== B * T * k) throw new RangeError(`lnR has ${lnR.length} values, expected B*T*k = ${B * T * k}`);
  const out = new Float64Array(B * T);
  for (let bt = 0; bt < B * T; bt++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += lnR[bt * k + i];
    out[bt] = s / n;
  }
  return out;
}

/**
 * The same scores from r values: rvals flat [B][T][k] diag(R_t) > 0 (the reference fixtures'
 * `rvals`); 1 <= n <= k. Returns flat [B][T], ln per step.
 */
export function stepScores(rvals: ArrayLike<number>, B: number, T: number, k: number, n = 1): Float64Array {
  if (rvals.length !== B * T * k) throw new RangeError(`rvals has ${rvals.length} values, expected B*T*k = ${B * T * k}`);
  return stepScoresFromLnR(Float64Array.from(rvals, Math.log), B, T, k, n);
}

/**
 * Order of two step values for "descending": larger first, NaN after every number (an undefined
 * score never outranks a defined one), exact ties (and NaN pairs) to the lower step.
 */
function compareDescending(va: number, vb: number, a: number, b: number): number {
  const na = Number.isNaN(va);
  const nb = Number.isNaN(vb);
  if (na || nb) return na && nb ? a - b : na ? 1 : -1;
  return va > vb ? -1 : va < vb ? 1 : a - b;
}

/**
 * Ranks the T steps of one probe by `values` descending, exact ties to the lower step first
 * (a stable sort on the step index), NaN last: THE ranking R-top flips in, and the one panels show. values: [T] (one row of a [B][T] array, read at `offset`).
 * Returns the 0-based steps, highest value first [T].
 */
export function rankDescending(values: ArrayLike<number>, T: number, offset = 0): Int32Array {
  const idx = Array.from({ length: T }, (_, t) => t);
  idx.sort((a, b) => compareDescending(values[offset + a], values[offset + b], a, b));
  return Int32Array.from(idx);
}

/**
 * Rank of every step of one probe under rankDescending: rank[t] = 1 for the step R-top flips
 * first, T for the last. values: [T] read at `offset`. Returns [T], 1-based.
 */
export function stepRanks(values: ArrayLike<number>, T: number, offset = 0): Int32Array {
  const order = rankDescending(values, T, offset);
  const ranks = new Int32Array(T);
  for (let r = 0; r < T; r++) ranks[order[r]] = r + 1;
  return ranks;
}

/**
 * Ranks the T steps of one probe by `values` ascending (lowest first), exact ties to the lower
 * step first: the "bottom-k" control flips the first k entries.
 */
export function rankAscending(values: ArrayLike<number>, T: number, offset = 0): Int32Array {
  const idx = Array.from({ length: T }, (_, t) => t);
  idx.sort((a, b) => {
    const va = values[offset + a];
    const vb = values[offset + b];
    return va < vb ? -1 : va > vb ? 1 : a - b;
  });
  return Int32Array.from(idx);
}

/** Orders of every probe: values flat [B][T] -> orders [B] of Int32Array [T] (descending, ties to lower t). */
export function ordersDescending(values: ArrayLike<number>, B: number, T: number): Int32Array[] {
  return Array.from({ length: B }, (_, b) => rankDescending(values, T, b * T));
}

/**
 * Tie margins of the top-k sets: margin[ki][b] = s(order[k-1]) - s(order[k]) = the gap between
 * the k-th and (k+1)-th highest scores of probe b (>= 0). A zero margin means the top-k set is
 * decided by the tie rule alone (so only sets with margin > 0 can be compared across
 * implementations). For k >= T the set is the whole sequence and the margin is Infinity.
 * scores: flat [B][T]; orders: from ordersDescending. Returns [K][B].
 */
export function tieMargins(scores: ArrayLike<number>, orders: Int32Array[], T: number, kList: number[]): number[][] {
  return kList.map((k) => orders.map((order, b) => (k >= T ? Infinity : scores[b * T + order[k - 1]] - scores[b * T + order[k]])));
}
