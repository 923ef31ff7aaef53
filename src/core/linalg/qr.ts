/**
 * Reduced QR of k vectors by modified Gram-Schmidt with one full reorthogonalisation pass
 * ("twice is enough"), in place on a vector-major buffer: V is [k][S], vector a at a*S. Gram-Schmidt
 * produces diag(R) >= 0 by construction, which is exactly the sign convention of the QR iteration
 * (Q unique), and works column by column, so the first n columns of Q and R never depend on k.
 */
import { getAnalysisKernels } from '../kernels';

/**
 * Orthonormalises V ([k][S], vectors contiguous) in place into Q and writes R ([k][k] row-major,
 * upper triangular, R[a*k + b] for a <= b, diag > 0) such that V_in = Q R.
 * A vector that is numerically dependent on the previous ones gets R[a][a] = 0 and is replaced by a
 * unit vector orthogonal to them (so Q stays orthonormal). Runs on the current AnalysisKernels
 * (src/core/kernels: pure JS unless WASM was injected; both give identical results).
 */
export function mgsQr(V: Float64Array, S: number, k: number, R: Float64Array): void {
  getAnalysisKernels().mgsQr(V, S, k, R);
}

/** Converts vector-major [k][S] (column a contiguous) to row-major [S][k] (the file layout). */
export function vectorsToRowMajor(V: Float64Array, S: number, k: number, out = new Float64Array(S * k)): Float64Array {
  for (let a = 0; a < k; a++) for (let i = 0; i < S; i++) out[i * k + a] = V[a * S + i];
  return out;
}
