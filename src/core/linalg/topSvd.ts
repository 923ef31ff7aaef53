/**
 * Top singular triplets of a large dense matrix without its full SVD, and all of its singular
 * values without vectors. Used by the gradient-SVD alignment for N > FAST_SVD_MIN_SIZE, where a
 * full ml-matrix SVD with vectors costs ~1-3 s at N = 512 but only the first nsv + 1 triplets and
 * the participation ratio (all values) are read.
 *
 * Method (Halko, Martinsson & Tropp 2011, Alg. 4.4 + Rayleigh-Ritz): block subspace iteration on a
 * seeded Gaussian sketch of b = r + oversampling vectors, re-orthonormalised by Gram-Schmidt
 * (qr.ts) after every product; each round ends with the exact small SVD of Q^T A (b x n, ml-matrix
 * via svd.ts). It stops when every wanted Ritz pair's residual ||A v_j - s_j u_j|| <= tol * s_1
 * (then sin angle(v_j, exact) <= residual / gap, Wedin), or after maxIterations rounds.
 */
import { golubKahanSingularValues } from './singularValues';
import { createRng } from '../rng';
import { mgsQr } from './qr';
import { svd, type Svd } from './svd';
import { matTimesVectors } from '../kernels/js';

/** Square sizes above this use the fast path in the alignment (all fixtures are N <= 16: exact path). */
export const FAST_SVD_MIN_SIZE = 128;

export interface TopSvdOptions {
  /** Extra sketch vectors beyond r (default 10): convergence rate of triplet j is (s_{r+p+1} / s_j)^2 per round. */
  oversampling?: number;
  /** Relative residual target ||A v_j - s_j u_j|| / s_1 for j < r (default 1e-12). */
  tol?: number;
  /** Cap on subspace-iteration rounds (default 60; reached only without a gap after r + p). */
  maxIterations?: number;
  /** Seed of the Gaussian sketch (results converge to the same triplets for any seed). */
  seed?: number;
}

/** What topSvd returns: the Svd (s, U, V with r entries / vectors) plus convergence facts. */
export interface TopSvd extends Svd {
  /** Subspace-iteration rounds run. */
  iterations: number;
  /** max_j<r ||A v_j - s_j u_j|| / s_1 of the returned triplets. */
  residual: number;
}

/** Y_j = A x_j for k vectors: A [m][n] row-major, X [k][n] vector-major, Y [k][m] (the QR iteration's kernel). */
function timesVectors(A: Float64Array, m: number, n: number, X: Float64Array, k: number, Y: Float64Array): void {
  matTimesVectors(A, m, n, X, k, Y, null);
}

/** Z_j = A^T q_j for k vectors: A [m][n] row-major, Q [k][m], Z [k][n] (row-wise axpys, contiguous). */
function transposeTimesVectors(A: Float64Array, m: number, n: number, Q: Float64Array, k: number, Z: Float64Array): void {
  Z.fill(0, 0, k * n);
  for (let i = 0; i < m; i++) {
    const ro = i * n;
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const c0 = Q[j * m + i],
        c1 = Q[(j + 1) * m + i],
        c2 = Q[(j + 2) * m + i],
        c3 = Q[(j + 3) * m + i];
      const o0 = j * n,
        o1 = o0 + n,
        o2 = o1 + n,
        o3 = o2 + n;
      for (let l = 0; l < n; l++) {
        const a = A[ro + l];
        Z[o0 + l] += c0 * a;
        Z[o1 + l] += c1 * a;
        Z[o2 + l] += c2 * a;
        Z[o3 + l] += c3 * a;
      }
    }
    for (; j < k; j++) {
      const c = Q[j * m + i];
      const o = j * n;
      for (let l = 0; l < n; l++) Z[o + l] += c * A[ro + l];
    }
  }
}

/**
 * Top-r singular triplets of A ([m][n] row-major): s [r] descending, U [r][m], V [r][n]
 * vector-major, with svd.ts's sign convention (largest-|.| entry of u_j positive, v_j flipped with
 * it). r <= min(m, n). Deterministic given opts.seed. Cost per round ~2 m n (r + p) multiply-adds.
 */
export function topSvd(A: Float64Array, m: number, n: number, r: number, opts: TopSvdOptions = {}): TopSvd {
  const minDim = Math.min(m, n);
  if (r < 1 || r > minDim) throw new Error(`topSvd: r = ${r} must be in [1, ${minDim}]`);
  const b = Math.min(minDim, r + (opts.oversampling ?? 10));
  const tol = opts.tol ?? 1e-12;
  const maxIterations = opts.maxIterations ?? 60;
  const rng = createRng(opts.seed ?? 0x70b5);
  // X: current right basis [b][n]; Y = A X [b][m] -> Q; Z = A^T Q [b][n] = (Q^T A)^T.
  const X = Float64Array.from({ length: b * n }, () => rng.normal());
  const Rs = new Float64Array(b * b);
  mgsQr(X, n, b, Rs);
  const Y = new Float64Array(b * m);
  const Z = new Float64Array(b * n);
  let s: Float64Array = new Float64Array(0);
  let U: Float64Array = new Float64Array(0);
  let iterations = 0;
  let residual = Infinity;
  for (;;) {
    timesVectors(A, m, n, X, b, Y);
    if (iterations > 0) {
      // Y_j = A v_j of the last Ritz vectors: residual against s_j u_j (A^T u_j = s_j v_j holds exactly).
      residual = 0;
      for (let j = 0; j < r; j++) {
        let e = 0;
        for (let i = 0; i < m; i++) {
          const d = Y[j * m + i] - s[j] * U[j * m + i];
          e += d * d;
        }
        residual = Math.max(residual, Math.sqrt(e));
      }
      residual = s[0] > 0 ? residual / s[0] : 0;
      if (residual <= tol || iterations >= maxIterations) break;
    }
    mgsQr(Y, m, b, Rs);
    transposeTimesVectors(A, m, n, Y, b, Z);
    // Z holds B = Q^T A row-major (b x n): B = Ub S Vb^T, u_j = Q Ub_j, v_j = Vb_j.
    const small = svd(Z, b, n);
    s = small.s;
    U = new Float64Array(b * m);
    for (let j = 0; j < b; j++) {
      const uo = j * m;
      for (let l = 0; l < b; l++) {
        const c = small.U[j * b + l];
        const qo = l * m;
        for (let i = 0; i < m; i++) U[uo + i] += c * Y[qo + i];
      }
    }
    X.set(small.V.subarray(0, b * n));
    iterations++;
  }
  const Uo = U.slice(0, r * m);
  const Vo = X.slice(0, r * n);
  for (let j = 0; j < r; j++) {
    let big = 0;
    let sign = 1;
    for (let i = 0; i < m; i++) {
      const u = Uo[j * m + i];
      if (Math.abs(u) > big) {
        big = Math.abs(u);
        sign = u < 0 ? -1 : 1;
      }
    }
    if (sign < 0) {
      for (let i = 0; i < m; i++) Uo[j * m + i] = -Uo[j * m + i];
      for (let i = 0; i < n; i++) Vo[j * n + i] = -Vo[j * n + i];
    }
  }
  return { s: s.slice(0, r), U: Uo, V: Vo, r, iterations, residual };
}

/**
 * All min(m, n) singular values of A ([m][n] row-major), descending, without vectors: ml-matrix's
 * Golub-Kahan SVD with vector accumulation switched off, run on a flat array (singularValues.ts:
 * the same values, bit for bit, as the full svd(); far cheaper at 512 x 512 and, unlike
 * sqrt(eig(A^T A)), accurate to eps * s_1 for the small values too, which the participation ratio
 * sums).
 */
export function singularValues(A: Float64Array, m: number, n: number): Float64Array {
  return golubKahanSingularValues(A, m, n).sort((x, y) => y - x);
}

/**
 * The SVD the alignment reads: all min(m, n) singular values in s (participation ratio) and the
 * first r vectors in U, V (Svd.r = r). Square sizes <= FAST_SVD_MIN_SIZE take the exact svd() (all
 * vectors); larger ones topSvd for the vectors and singularValues for s.
 */
export function alignmentSvd(A: Float64Array, m: number, n: number, r: number, opts: TopSvdOptions = {}): Svd {
  if (Math.min(m, n) <= FAST_SVD_MIN_SIZE) return svd(A, m, n);
  const top = topSvd(A, m, n, Math.min(r, m, n), opts);
  return { s: singularValues(A, m, n), U: top.U, V: top.V, r: top.r };
}
