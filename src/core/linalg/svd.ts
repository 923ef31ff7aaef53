/**
 * Thin SVD (ml-matrix) with a deterministic sign convention, and subspace overlaps.
 * Sign convention (the fixtures' `sv_sign_convention`): each left singular vector u_j is flipped so
 * that its largest-|.| entry is positive, and v_j gets the same flip (G = U S V^T is unchanged).
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { mgsQr as mgsQrLocal } from './qr';

export interface Svd {
  /**
   * Singular values, descending: at least r of them; all min(m, n) (zero-padded to r) when only the
   * top r vectors were computed (topSvd.ts alignmentSvd), so participationRatio(s) stays exact.
   */
  s: Float64Array;
  /** Left singular vectors, vector-major [r][m] (u_j contiguous). */
  U: Float64Array;
  /** Right singular vectors, vector-major [r][n] (v_j contiguous). */
  V: Float64Array;
  /** Number of singular vector pairs held (min(m, n) for svd()). */
  r: number;
}

/** Thin SVD of A ([m][n] row-major): A = U diag(s) V^T, signs fixed as described above. */
export function svd(A: Float64Array, m: number, n: number): Svd {
  const M = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) M.set(i, j, A[i * n + j]);
  const dec = new SingularValueDecomposition(M, {
    autoTranspose: true,
    computeLeftSingularVectors: true,
    computeRightSingularVectors: true,
  });
  const r = Math.min(m, n);
  const sv = dec.diagonal;
  const Um = dec.leftSingularVectors;
  const Vm = dec.rightSingularVectors;
  // Sort descending (ml-matrix already does; keep it explicit so the convention never depends on it).
  const order = Array.from({ length: r }, (_, j) => j).sort((a, b) => sv[b] - sv[a]);
  const s = new Float64Array(r);
  const U = new Float64Array(r * m);
  const V = new Float64Array(r * n);
  for (let jj = 0; jj < r; jj++) {
    const j = order[jj];
    s[jj] = sv[j];
    let big = 0;
    let sign = 1;
    for (let i = 0; i < m; i++) {
      const u = Um.get(i, j);
      if (Math.abs(u) > big) {
        big = Math.abs(u);
        sign = u < 0 ? -1 : 1;
      }
    }
    for (let i = 0; i < m; i++) U[jj * m + i] = sign * Um.get(i, j);
    for (let i = 0; i < n; i++) V[jj * n + i] = sign * Vm.get(i, j);
  }
  return { s, U, V, r };
}

/**
 * Subspace overlap ||A_m^T B_m||_F^2 / m = mean cos^2 of the principal angles between span of the
 * first m vectors of A and of B (both vector-major, orthonormal vectors of length S). Null for
 * random subspaces: m / S.
 */
export function subspaceOverlap(A: Float64Array, B: Float64Array, S: number, m: number): number {
  let sum = 0;
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      let c = 0;
      for (let i = 0; i < S; i++) c += A[a * S + i] * B[b * S + i];
      sum += c * c;
    }
  }
  return sum / m;
}

/** Participation ratio (sum s)^2 / sum s^2 of singular values: effective rank, in [1, r]. */
export function participationRatio(s: ArrayLike<number>): number {
  let a = 0;
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    a += s[i];
    b += s[i] * s[i];
  }
  return b > 0 ? (a * a) / b : 0;
}

/**
 * SVD of a sum of t outer products G = sum_s a_s b_s^T = A B^T (A, B: t vectors of length n each,
 * vector-major [t][n]) with t < n, without forming the n x n matrix: thin QR A = Qa Ra, B = Qb Rb,
 * then the t x t SVD of Ra Rb^T = Uk S Vk^T gives U = Qa Uk, V = Qb Vk. Returns r = t singular
 * triplets (G has rank <= t; the remaining singular values are 0). Same sign convention as svd().
 * With minVectors > t, U and V are completed with orthonormal vectors of singular value 0 (any
 * completion is a valid SVD), so callers can always read that many.
 * Cost O(n t^2 + t^3) instead of O(n^3): the prefix gradient dL_t/dW_hh at an early step is such a sum.
 * smallSvd (default: the exact svd) computes the t x t SVD; one that returns only the first kv < t
 * vectors but all t values in s (topSvd.ts alignmentSvd) makes U, V hold kv (or minVectors) vectors.
 */
export function svdOfOuterSum(
  A: Float64Array,
  B: Float64Array,
  n: number,
  t: number,
  minVectors = 0,
  smallSvd: (K: Float64Array, t: number) => Svd = (K, tt) => svd(K, tt, tt),
): Svd {
  const qa = A.slice(0, t * n);
  const qb = B.slice(0, t * n);
  const ra = new Float64Array(t * t);
  const rb = new Float64Array(t * t);
  mgsQrLocal(qa, n, t, ra);
  mgsQrLocal(qb, n, t, rb);
  // K = Ra Rb^T (t x t, row-major).
  const K = new Float64Array(t * t);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) {
      let s = 0;
      for (let l = Math.max(i, j); l < t; l++) s += ra[i * t + l] * rb[j * t + l];
      K[i * t + j] = s;
    }
  }
  const small = smallSvd(K, t);
  const kv = small.r;
  const U = new Float64Array(kv * n);
  const V = new Float64Array(kv * n);
  for (let j = 0; j < kv; j++) {
    for (let l = 0; l < t; l++) {
      const u = small.U[j * t + l];
      const v = small.V[j * t + l];
      for (let i = 0; i < n; i++) {
        U[j * n + i] += u * qa[l * n + i];
        V[j * n + i] += v * qb[l * n + i];
      }
    }
    // Re-apply the sign convention in the full space (largest-|.| entry of u_j positive).
    let big = 0;
    let sign = 1;
    for (let i = 0; i < n; i++) {
      if (Math.abs(U[j * n + i]) > big) {
        big = Math.abs(U[j * n + i]);
        sign = U[j * n + i] < 0 ? -1 : 1;
      }
    }
    if (sign < 0) {
      for (let i = 0; i < n; i++) {
        U[j * n + i] = -U[j * n + i];
        V[j * n + i] = -V[j * n + i];
      }
    }
  }
  const r = Math.min(n, Math.max(kv, minVectors));
  const nValues = Math.max(small.s.length, r);
  if (r === kv && nValues === small.s.length) return { s: small.s, U, V, r: kv };
  const s = new Float64Array(nValues);
  s.set(small.s);
  const Uc = new Float64Array(r * n);
  const Vc = new Float64Array(r * n);
  Uc.set(U);
  Vc.set(V);
  // Zero vectors after the first t: Gram-Schmidt replaces them by an orthonormal completion.
  const scratch = new Float64Array(r * r);
  mgsQrLocal(Uc, n, r, scratch);
  mgsQrLocal(Vc, n, r, scratch);
  return { s, U: Uc, V: Vc, r };
}
