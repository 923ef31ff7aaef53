import { describe, expect, it } from 'vitest';
import { mgsQr, vectorsToRowMajor } from '../../src/core/linalg/qr';
import { participationRatio, subspaceOverlap, svd } from '../../src/core/linalg/svd';
import { createRng } from '../../src/core/rng';

const dot = (a: Float64Array, ao: number, b: Float64Array, bo: number, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
};

describe('mgsQr', () => {
  it('V = Q R with Q orthonormal, R upper triangular, diag R > 0 (ill-conditioned input)', () => {
    const rng = createRng(3);
    const S = 40;
    const k = 12;
    const V = Float64Array.from({ length: k * S }, () => rng.normal());
    // Make the columns nearly parallel (condition number ~1e8): plain Gram-Schmidt would lose orthogonality.
    for (let a = 1; a < k; a++) for (let i = 0; i < S; i++) V[a * S + i] = V[i] + 1e-8 * V[a * S + i];
    const V0 = V.slice();
    const R = new Float64Array(k * k);
    mgsQr(V, S, k, R);
    for (let a = 0; a < k; a++) {
      expect(R[a * k + a]).toBeGreaterThan(0);
      for (let b = 0; b < a; b++) expect(R[a * k + b]).toBe(0);
      for (let b = 0; b < k; b++) expect(Math.abs(dot(V, a * S, V, b * S, S) - (a === b ? 1 : 0))).toBeLessThan(1e-14);
    }
    for (let a = 0; a < k; a++)
      for (let i = 0; i < S; i++) {
        let s = 0;
        for (let b = 0; b <= a; b++) s += V[b * S + i] * R[b * k + a];
        expect(Math.abs(s - V0[a * S + i])).toBeLessThan(1e-13);
      }
  });

  it('a dependent vector gets R = 0 and an orthonormal replacement', () => {
    const S = 3;
    const V = Float64Array.from([1, 0, 0, 2, 0, 0, 0, 1, 1]);
    const R = new Float64Array(9);
    mgsQr(V, S, 3, R);
    expect(R[4]).toBe(0);
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) expect(Math.abs(dot(V, a * S, V, b * S, S) - (a === b ? 1 : 0))).toBeLessThan(1e-15);
    expect(Array.from(vectorsToRowMajor(Float64Array.from([1, 2, 3, 4, 5, 6]), 3, 2))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('svd', () => {
  it('reconstructs A, orthonormal vectors, the largest-|.| entry of each u_j is positive', () => {
    const rng = createRng(9);
    const m = 7;
    const n = 5;
    const A = Float64Array.from({ length: m * n }, () => rng.normal());
    const { s, U, V, r } = svd(A, m, n);
    expect(r).toBe(5);
    for (let j = 1; j < r; j++) expect(s[j]).toBeLessThanOrEqual(s[j - 1]);
    for (let i = 0; i < m; i++)
      for (let l = 0; l < n; l++) {
        let v = 0;
        for (let j = 0; j < r; j++) v += U[j * m + i] * s[j] * V[j * n + l];
        expect(Math.abs(v - A[i * n + l])).toBeLessThan(1e-12);
      }
    for (let j = 0; j < r; j++) {
      const u = Array.from(U.subarray(j * m, (j + 1) * m));
      const big = u.reduce((best, x) => (Math.abs(x) > Math.abs(best) ? x : best), 0);
      expect(big).toBeGreaterThan(0);
      expect(dot(U, j * m, U, j * m, m)).toBeCloseTo(1, 13);
    }
  });

  it('overlap: identical subspaces 1, orthogonal 0; participation ratio of equal values = count', () => {
    const S = 4;
    const I = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    // Same span, rotated basis.
    const c = Math.SQRT1_2;
    const rot = Float64Array.from([c, c, 0, 0, c, -c, 0, 0]);
    expect(subspaceOverlap(I, rot, S, 2)).toBeCloseTo(1, 14);
    expect(subspaceOverlap(I.subarray(8), rot, S, 2)).toBe(0);
    expect(participationRatio([2, 2, 2])).toBeCloseTo(3, 14);
    expect(participationRatio([5, 0, 0])).toBeCloseTo(1, 14);
  });
});
