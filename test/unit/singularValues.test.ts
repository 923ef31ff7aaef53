/**
 * The flat-array Golub-Kahan singular values against ml-matrix's SVD (the same algorithm): equal
 * bit for bit on square, tall, wide, rank-deficient and badly scaled matrices, and against exact
 * values of matrices built as U diag(s) V^T.
 */
import { describe, expect, it } from 'vitest';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { golubKahanSingularValues } from '../../src/core/linalg/singularValues';
import { createRng } from '../../src/core/rng';
import { mgsQr } from '../../src/core/linalg/qr';

function mlMatrixValues(A: Float64Array, m: number, n: number): number[] {
  const M = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) M.set(i, j, A[i * n + j]);
  return new SingularValueDecomposition(M, { autoTranspose: true, computeLeftSingularVectors: false, computeRightSingularVectors: false })
    .diagonal;
}

function randomMatrix(m: number, n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: m * n }, () => rng.normal());
}

describe('golubKahanSingularValues', () => {
  it.each([
    [1, 1],
    [2, 2],
    [5, 3],
    [3, 5],
    [17, 17],
    [40, 13],
    [13, 40],
    [64, 64],
    [130, 90],
  ])('%i x %i random: identical to ml-matrix bit for bit', (m, n) => {
    const A = randomMatrix(m, n, 1000 + m * 7 + n);
    expect(Array.from(golubKahanSingularValues(A, m, n))).toEqual(mlMatrixValues(A, m, n));
  });

  it('rank-deficient (sum of 3 outer products, 30 x 30), zero and badly scaled matrices: identical', () => {
    const rng = createRng(5);
    const m = 30;
    const A = new Float64Array(m * m);
    for (let r = 0; r < 3; r++) {
      const u = Array.from({ length: m }, () => rng.normal());
      const v = Array.from({ length: m }, () => rng.normal());
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) A[i * m + j] += u[i] * v[j];
    }
    expect(Array.from(golubKahanSingularValues(A, m, m))).toEqual(mlMatrixValues(A, m, m));
    const Z = new Float64Array(12);
    expect(Array.from(golubKahanSingularValues(Z, 3, 4))).toEqual(mlMatrixValues(Z, 3, 4));
    const S = randomMatrix(20, 20, 9).map((v, i) => v * 10 ** ((i % 20) - 10));
    expect(Array.from(golubKahanSingularValues(S, 20, 20))).toEqual(mlMatrixValues(S, 20, 20));
  });

  it('U diag(s) V^T with known s (geometric 1 .. 1e-12, N = 48): every value to 1e-15 s_1', () => {
    const N = 48;
    const U = randomMatrix(N, N, 11);
    const V = randomMatrix(N, N, 12);
    mgsQr(U, N, N, new Float64Array(N * N));
    mgsQr(V, N, N, new Float64Array(N * N));
    const s = Array.from({ length: N }, (_, i) => 10 ** ((-12 * i) / (N - 1)));
    const A = new Float64Array(N * N);
    for (let a = 0; a < N; a++) for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) A[i * N + j] += U[a * N + i] * s[a] * V[a * N + j];
    const got = golubKahanSingularValues(A, N, N);
    for (let i = 0; i < N; i++) expect(Math.abs(got[i] - s[i])).toBeLessThan(1e-15 * 8);
  });
});
