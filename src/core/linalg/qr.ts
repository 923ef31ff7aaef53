/**
 * Reduced QR of k vectors by modified Gram-Schmidt with one full reorthogonalisation pass
 * ("twice is enough"), in place on a vector-major buffer: V is [k][S], vector a at a*S. Gram-Schmidt
 * produces diag(R) >= 0 by construction, which is exactly the sign convention of the QR iteration
 * (Q unique), and works column by column, so the first n columns of Q and R never depend on k.
 */

/**
 * Orthonormalises V ([k][S], vectors contiguous) in place into Q and writes R ([k][k] row-major,
 * upper triangular, R[a*k + b] for a <= b, diag > 0) such that V_in = Q R.
 * A vector that is numerically dependent on the previous ones gets R[a][a] = 0 and is replaced by a
 * unit vector orthogonal to them (so Q stays orthonormal).
 */
export function mgsQr(V: Float64Array, S: number, k: number, R: Float64Array): void {
  R.fill(0, 0, k * k);
  for (let a = 0; a < k; a++) {
    const oa = a * S;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const ob = b * S;
        // Two accumulators: the dot product is latency-bound otherwise.
        let c0 = 0;
        let c1 = 0;
        let i = 0;
        for (; i + 2 <= S; i += 2) {
          c0 += V[ob + i] * V[oa + i];
          c1 += V[ob + i + 1] * V[oa + i + 1];
        }
        if (i < S) c0 += V[ob + i] * V[oa + i];
        const c = c0 + c1;
        for (let j = 0; j < S; j++) V[oa + j] -= c * V[ob + j];
        R[b * k + a] += c;
      }
    }
    let nrm = 0;
    for (let i = 0; i < S; i++) nrm += V[oa + i] * V[oa + i];
    nrm = Math.sqrt(nrm);
    if (nrm > 1e-300 && Number.isFinite(nrm)) {
      R[a * k + a] = nrm;
      const inv = 1 / nrm;
      for (let i = 0; i < S; i++) V[oa + i] *= inv;
    } else {
      R[a * k + a] = 0;
      completeBasisVector(V, S, a);
    }
  }
}

/** Writes into slot a a unit vector orthogonal to vectors 0..a-1 (tries e_0, e_1, ...). */
function completeBasisVector(V: Float64Array, S: number, a: number): void {
  const oa = a * S;
  for (let e = 0; e < S; e++) {
    V.fill(0, oa, oa + S);
    V[oa + e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const ob = b * S;
        let c = 0;
        for (let i = 0; i < S; i++) c += V[ob + i] * V[oa + i];
        for (let i = 0; i < S; i++) V[oa + i] -= c * V[ob + i];
      }
    }
    let nrm = 0;
    for (let i = 0; i < S; i++) nrm += V[oa + i] * V[oa + i];
    nrm = Math.sqrt(nrm);
    if (nrm > 1e-8) {
      for (let i = 0; i < S; i++) V[oa + i] /= nrm;
      return;
    }
  }
}

/** Converts vector-major [k][S] (column a contiguous) to row-major [S][k] (the file layout). */
export function vectorsToRowMajor(V: Float64Array, S: number, k: number, out = new Float64Array(S * k)): Float64Array {
  for (let a = 0; a < k; a++) for (let i = 0; i < S; i++) out[i * k + a] = V[a * S + i];
  return out;
}
