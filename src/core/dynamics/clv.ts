/**
 * Covariant Lyapunov vectors by Ginelli et al. (2007), method.md §9.
 *
 * Forward: Q_0 = I[:, :k]; for t = 1..T, Q_t R_t = J_t Q_{t-1} (the QR iteration of lyapunov.ts),
 * storing Q_t and R_t. Backward: C_T = I (k x k); for t = T..1, C_{t-1} = R_t^{-1} C_t (an upper
 * triangular solve) with every column scaled to unit norm; V_t = Q_t C_t. Since C is upper
 * triangular, v_i(t) lies in span(q_1(t)..q_i(t)), and J_t V_{t-1} = Q_t R_t C_{t-1} = Q_t C_t D_t
 * (D_t diagonal): the CLVs are covariant, J_t v_i(t-1) ∥ v_i(t), for ANY upper triangular C_T.
 *
 * Transients. The forward QR needs forwardTransient steps before Q_t approaches the backward
 * Lyapunov basis, and the backward iteration needs backwardTransient steps before C_t forgets
 * C_T = I; the vectors converge to the asymptotic CLVs only inside [forwardTransient, T -
 * backwardTransient], which is the window returned. A probe of the app is short (T = 28 for MNIST
 * rows), so its CLVs take both transients 0 and are the finite-time CLVs of that probe: covariant
 * exactly, V_T = Q_T at the last step (C_T = I), and closest to asymptotic in the middle.
 *
 * Layout: vectors are vector-major ([k][S], vector a contiguous), as Q in lyapunov.ts.
 */
import { mgsQr } from '../linalg/qr';
import type { Cell } from './cells';
import type { Trajectory } from './trajectory';

/** A sequence of tangent maps: apply(t, v, k, out) writes out = J_t v for t = 1..T (v, out: [k][S]). */
export interface TangentMaps {
  S: number;
  T: number;
  apply(t: number, v: Float64Array, k: number, out: Float64Array): void;
}

export interface ClvOptions {
  /** Number of vectors, 1 <= k <= S. */
  k: number;
  /** Steps discarded at the start (Q converging); default 0. */
  forwardTransient?: number;
  /** Steps discarded at the end (C converging); default 0. */
  backwardTransient?: number;
}

export interface ClvResult {
  S: number;
  k: number;
  /** First and last step of the window: V_t for t = t0..t1 (0 <= t0 <= t1 <= T). */
  t0: number;
  t1: number;
  /** V_t for t = t0..t1, [(t1-t0+1)][k][S] vector-major, unit columns. */
  clv: Float64Array;
  /** Q_t for t = t0..t1, same layout (orthonormal). */
  q: Float64Array;
  /** ln r_i(t) of the forward QR for t = 1..T, [T][k] (ln per step). */
  lnR: Float64Array;
  /**
   * ln ||J_t v_i(t-1)|| for t = t0+1..t1, [(t1-t0)][k] (ln per step): the CLVs' local growth.
   * Its time average is the i-th Lyapunov exponent, like the mean of lnR.
   */
  lnGrowth: Float64Array;
}

/** Smallest |R_ii| used in the backward solve (a rank-deficient J_t gives R_ii = 0). */
const R_DIAG_FLOOR = 1e-290;

/**
 * Ginelli's CLVs of a tangent-map sequence. Cost: the forward QR (T J-products of k vectors plus
 * Gram-Schmidt) and one k x k triangular solve per step backward; memory (T+1) k (S + k) floats.
 */
export function covariantLyapunovVectors(maps: TangentMaps, opts: ClvOptions): ClvResult {
  const { S, T } = maps;
  const k = opts.k;
  if (!(Number.isInteger(k) && k >= 1 && k <= S)) throw new Error(`covariantLyapunovVectors: k = ${k} must be an integer in 1..${S}`);
  const ft = opts.forwardTransient ?? 0;
  const bt = opts.backwardTransient ?? 0;
  if (!(Number.isInteger(ft) && Number.isInteger(bt) && ft >= 0 && bt >= 0 && ft + bt <= T)) {
    throw new Error(`covariantLyapunovVectors: transients ${ft} + ${bt} must be non-negative integers summing to at most T = ${T}`);
  }
  const t0 = ft;
  const t1 = T - bt;
  const kS = k * S;
  const kk = k * k;
  // Q_t kept for t0..t1; R_t kept for t = t0+1..T (the backward pass runs from T).
  const qWin = new Float64Array((t1 - t0 + 1) * kS);
  const rAll = new Float64Array(Math.max(0, T - t0) * kk);
  const lnR = new Float64Array(T * k);
  let q = new Float64Array(kS);
  let v = new Float64Array(kS);
  const r = new Float64Array(kk);
  for (let a = 0; a < k; a++) q[a * S + a] = 1;
  if (t0 === 0) qWin.set(q, 0);
  for (let t = 1; t <= T; t++) {
    maps.apply(t, q, k, v);
    mgsQr(v, S, k, r);
    const tmp = q;
    q = v;
    v = tmp;
    for (let a = 0; a < k; a++) lnR[(t - 1) * k + a] = Math.log(r[a * k + a]);
    if (t > t0) rAll.set(r, (t - t0 - 1) * kk);
    if (t >= t0 && t <= t1) qWin.set(q, (t - t0) * kS);
  }

  // Backward: C row-major [k][k] (C[i*k + j], column j = the coefficients of v_j).
  let c = new Float64Array(kk);
  let cPrev = new Float64Array(kk);
  for (let a = 0; a < k; a++) c[a * k + a] = 1;
  const clv = new Float64Array((t1 - t0 + 1) * kS);
  const lnGrowth = new Float64Array((t1 - t0) * k);
  const norms = new Float64Array(k);
  for (let t = T; t > t0; t--) {
    if (t <= t1) writeVectors(qWin, (t - t0) * kS, c, S, k, clv, (t - t0) * kS);
    const R = rAll.subarray((t - t0 - 1) * kk, (t - t0) * kk);
    // cPrev = R^{-1} c, column by column (both upper triangular: rows > j stay zero).
    cPrev.fill(0);
    for (let j = 0; j < k; j++) {
      for (let i = j; i >= 0; i--) {
        let s = c[i * k + j];
        for (let m = i + 1; m <= j; m++) s -= R[i * k + m] * cPrev[m * k + j];
        const d = R[i * k + i];
        cPrev[i * k + j] = s / (Math.abs(d) > R_DIAG_FLOOR ? d : R_DIAG_FLOOR);
      }
      let n2 = 0;
      for (let i = 0; i <= j; i++) n2 += cPrev[i * k + j] ** 2;
      norms[j] = Math.sqrt(n2);
      for (let i = 0; i <= j; i++) cPrev[i * k + j] /= norms[j];
    }
    // ||J_t v_j(t-1)|| = ||R_t cPrev_j|| = ||c_j|| / ||R_t^{-1} c_j|| = 1 / norms[j] (c_j unit).
    if (t <= t1) for (let j = 0; j < k; j++) lnGrowth[(t - t0 - 1) * k + j] = -Math.log(norms[j]);
    const tmp = c;
    c = cPrev;
    cPrev = tmp;
  }
  writeVectors(qWin, 0, c, S, k, clv, 0);
  return { S, k, t0, t1, clv, q: qWin, lnR, lnGrowth };
}

/** out[j] = sum_i C[i][j] q_i (vector-major [k][S]), then unit-normalised (rounding only). */
function writeVectors(q: Float64Array, qOff: number, c: Float64Array, S: number, k: number, out: Float64Array, oOff: number): void {
  for (let j = 0; j < k; j++) {
    const o = oOff + j * S;
    out.fill(0, o, o + S);
    for (let i = 0; i <= j; i++) {
      const cij = c[i * k + j];
      if (cij === 0) continue;
      const qo = qOff + i * S;
      for (let s = 0; s < S; s++) out[o + s] += cij * q[qo + s];
    }
    let n2 = 0;
    for (let s = 0; s < S; s++) n2 += out[o + s] ** 2;
    const inv = 1 / Math.sqrt(n2);
    for (let s = 0; s < S; s++) out[o + s] *= inv;
  }
}

/** The tangent maps of a cell along a trajectory (inputs [T][D] at xBase): J_t = d s_t / d s_{t-1}. */
export function cellTangentMaps(cell: Cell, inputs: Float64Array, xBase: number, traj: Trajectory): TangentMaps {
  const D = cell.inputSize;
  const S = traj.S;
  return {
    S,
    T: traj.T,
    apply: (t, v, k, out) => cell.applyJacobian(inputs, xBase + (t - 1) * D, traj.states, (t - 1) * S, traj.states, t * S, v, k, out),
  };
}

/**
 * Angles (radians, in [0, pi/2]) between vector a of two vector-major sets at each step:
 * out[t][a] = arccos |<x_a(t), y_a(t)>| for unit vectors. x, y: [n][k][S]; returns [n][k].
 * With x = CLVs and y = Q, cos = |C_aa|: how far the covariant direction leans out of q_a.
 */
export function pairedAngles(x: Float64Array, y: Float64Array, n: number, k: number, S: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let t = 0; t < n; t++) {
    for (let a = 0; a < k; a++) {
      const o = (t * k + a) * S;
      let d = 0;
      for (let s = 0; s < S; s++) d += x[o + s] * y[o + s];
      out[t * k + a] = Math.acos(Math.min(1, Math.abs(d)));
    }
  }
  return out;
}

/**
 * Angle (radians, [0, pi/2]) between vectors a and b of each step of a vector-major set [n][k][S]
 * (unit vectors): arccos |<v_a(t), v_b(t)>|, [n]. Near-zero values are near-tangencies of the
 * covariant directions, which Q vectors (orthogonal by construction) cannot show.
 */
export function angleBetween(v: Float64Array, n: number, k: number, S: number, a = 0, b = 1): Float64Array {
  if (!(a < k && b < k)) throw new Error(`angleBetween: vectors ${a}, ${b} need k > ${Math.max(a, b)} (k = ${k})`);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let d = 0;
    const oa = (t * k + a) * S;
    const ob = (t * k + b) * S;
    for (let s = 0; s < S; s++) d += v[oa + s] * v[ob + s];
    out[t] = Math.acos(Math.min(1, Math.abs(d)));
  }
  return out;
}

/**
 * Kaplan-Yorke (Lyapunov) dimension of a spectrum (sorted descending here; any unit: the ratio is
 * unit-free): D = j + (lambda_1 + .. + lambda_j) / |lambda_{j+1}| with j the largest index whose
 * partial sum is >= 0; 0 when lambda_1 < 0; k when every partial sum is >= 0 (a truncated spectrum
 * cannot say more, so k is a lower bound then).
 */
export function kaplanYorkeDimension(spectrum: ArrayLike<number>): number {
  // Finite-time spectra can be out of order by rounding or short averaging: sort a copy.
  spectrum = Array.from(spectrum).sort((a, b) => b - a);
  let sum = 0;
  for (let j = 0; j < spectrum.length; j++) {
    const next = sum + spectrum[j];
    if (next < 0) return j + sum / Math.abs(spectrum[j]);
    sum = next;
  }
  return spectrum.length;
}
