import { describe, expect, it } from 'vitest';
import { createCell } from '../../src/core/dynamics/cells';
import {
  angleBetween,
  cellTangentMaps,
  covariantLyapunovVectors,
  kaplanYorkeDimension,
  pairedAngles,
  type TangentMaps,
} from '../../src/core/dynamics/clv';
import { probeTrajectory } from '../../src/core/dynamics/trajectory';
import { FIXTURE_CASES, loadFixture } from './dynamics.fixtures';

/** Tangent maps of constant or explicit matrices (row-major [S][S] per step), applied by plain loops. */
function matrixMaps(mats: (t: number) => Float64Array, S: number, T: number): TangentMaps {
  return {
    S,
    T,
    apply: (t, v, k, out) => {
      const J = mats(t);
      for (let a = 0; a < k; a++)
        for (let i = 0; i < S; i++) {
          let s = 0;
          for (let j = 0; j < S; j++) s += J[i * S + j] * v[a * S + j];
          out[a * S + i] = s;
        }
    },
  };
}

describe('covariant Lyapunov vectors', () => {
  it.each(FIXTURE_CASES)('%s: J_t v_i(t-1) ∥ v_i(t) for every column to 1e-8 (explicit Jacobians)', (name) => {
    const fx = loadFixture(name);
    const cell = createCell(fx.weights);
    const S = cell.stateSize;
    const D = cell.inputSize;
    const J = new Float64Array(S * S);
    for (let b = 0; b < Math.min(fx.probe.B, 2); b++) {
      const traj = probeTrajectory(cell, fx.probe, b);
      const xBase = b * fx.probe.T * D;
      const res = covariantLyapunovVectors(cellTangentMaps(cell, fx.probe.inputs, xBase, traj), { k: S });
      expect(res.t0).toBe(0);
      expect(res.t1).toBe(fx.probe.T);
      let worst = 0;
      for (let t = 1; t <= fx.probe.T; t++) {
        cell.jacobian(fx.probe.inputs, xBase + (t - 1) * D, traj.states, (t - 1) * S, J);
        for (let a = 0; a < S; a++) {
          const w = new Float64Array(S);
          for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) w[i] += J[i * S + j] * res.clv[((t - 1) * S + a) * S + j];
          const nw = Math.hypot(...w);
          let d = 0;
          for (let i = 0; i < S; i++) d += w[i] * res.clv[(t * S + a) * S + i];
          // Distance between the unit vectors (sign-aligned): resolves 1e-16, unlike 1 - |cos|.
          let e2 = 0;
          for (let i = 0; i < S; i++) e2 += (w[i] / nw - Math.sign(d) * res.clv[(t * S + a) * S + i]) ** 2;
          worst = Math.max(worst, Math.sqrt(e2));
          // Unit columns and the growth factor of that step.
          expect(Math.abs(Math.hypot(...res.clv.subarray((t * S + a) * S, (t * S + a + 1) * S)) - 1)).toBeLessThan(1e-12);
          expect(Math.abs(Math.log(nw) - res.lnGrowth[(t - 1) * S + a])).toBeLessThan(1e-8);
        }
      }
      expect(worst, `${name} probe ${b}`).toBeLessThan(1e-8);
    }
  });

  it('of a constant matrix are its eigenvectors, ordered by |eigenvalue|', () => {
    // A = P diag(3, -2, 0.5) P^{-1} with P's columns the eigenvectors.
    const P = [
      [1, 1, 0],
      [0.5, -1, 1],
      [0.2, 0.3, 1],
    ];
    const ev = [3, -2, 0.5];
    // P^{-1} by the adjugate.
    const det =
      P[0][0] * (P[1][1] * P[2][2] - P[1][2] * P[2][1]) -
      P[0][1] * (P[1][0] * P[2][2] - P[1][2] * P[2][0]) +
      P[0][2] * (P[1][0] * P[2][1] - P[1][1] * P[2][0]);
    const cof = (i: number, j: number) => {
      const r = [0, 1, 2].filter((x) => x !== i);
      const c = [0, 1, 2].filter((x) => x !== j);
      return (-1) ** (i + j) * (P[r[0]][c[0]] * P[r[1]][c[1]] - P[r[0]][c[1]] * P[r[1]][c[0]]);
    };
    const A = new Float64Array(9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let m = 0; m < 3; m++) s += P[i][m] * ev[m] * (cof(j, m) / det);
        A[i * 3 + j] = s;
      }
    const res = covariantLyapunovVectors(
      matrixMaps(() => A, 3, 300),
      { k: 3, forwardTransient: 100, backwardTransient: 100 },
    );
    const mid = (res.t1 - res.t0) >> 1;
    for (let a = 0; a < 3; a++) {
      const e = [P[0][a], P[1][a], P[2][a]];
      const ne = Math.hypot(...e);
      let d = 0;
      for (let i = 0; i < 3; i++) d += e[i] * res.clv[(mid * 3 + a) * 3 + i];
      let e2 = 0;
      for (let i = 0; i < 3; i++) e2 += (e[i] / ne - Math.sign(d) * res.clv[(mid * 3 + a) * 3 + i]) ** 2;
      expect(Math.sqrt(e2)).toBeLessThan(1e-12);
      // Growth of every window step = ln |eigenvalue|.
      for (let t = 0; t < res.t1 - res.t0; t++) expect(Math.abs(res.lnGrowth[t * 3 + a] - Math.log(Math.abs(ev[a])))).toBeLessThan(1e-9);
    }
  });

  it("reproduce the Hénon map's exponents (0.419, -1.623) and its Kaplan-Yorke dimension", () => {
    const a = 1.4;
    const b = 0.3;
    const T = 30000;
    const xs = new Float64Array(T + 1);
    let x = 0.1;
    let y = 0.1;
    for (let i = 0; i < 1000; i++) [x, y] = [1 - a * x * x + y, b * x];
    xs[0] = x;
    for (let t = 1; t <= T; t++) {
      [x, y] = [1 - a * x * x + y, b * x];
      xs[t] = x;
    }
    const J = new Float64Array(4);
    const res = covariantLyapunovVectors(
      matrixMaps(
        (t) => {
          J[0] = -2 * a * xs[t - 1];
          J[1] = 1;
          J[2] = b;
          J[3] = 0;
          return J;
        },
        2,
        T,
      ),
      { k: 2, forwardTransient: 200, backwardTransient: 200 },
    );
    const n = res.t1 - res.t0;
    const growth = [0, 0];
    for (let t = 0; t < n; t++) for (let i = 0; i < 2; i++) growth[i] += res.lnGrowth[t * 2 + i] / n;
    const qr = [0, 0];
    for (let t = 0; t < T; t++) for (let i = 0; i < 2; i++) qr[i] += res.lnR[t * 2 + i] / T;
    // Published values (Sprott, Chaos and Time-Series Analysis, 2003): 0.41922, -1.62319; their sum is ln b exactly.
    expect(Math.abs(qr[0] + qr[1] - Math.log(b))).toBeLessThan(1e-12);
    expect(Math.abs(qr[0] - 0.4192)).toBeLessThan(0.005);
    expect(Math.abs(qr[1] + 1.6232)).toBeLessThan(0.005);
    expect(Math.abs(growth[0] - 0.4192)).toBeLessThan(0.005);
    expect(Math.abs(growth[1] + 1.6232)).toBeLessThan(0.005);
    expect(Math.abs(kaplanYorkeDimension(qr) - (1 + 0.41922 / 1.62319))).toBeLessThan(0.005);
    // The Hénon attractor has homoclinic tangencies: the two CLVs come close to parallel somewhere.
    const ang = angleBetween(res.clv, n + 1, 2, 2);
    expect(Math.min(...ang)).toBeLessThan(0.05);
    // v_1 = q_1 always (C upper triangular); v_2 leans out of q_2 by the first-two angle's complement.
    const pa = pairedAngles(res.clv, res.q, n + 1, 2, 2);
    for (let t = 0; t <= n; t += 97) {
      expect(pa[t * 2]).toBeLessThan(1e-7);
      expect(Math.abs(pa[t * 2 + 1] - (Math.PI / 2 - ang[t]))).toBeLessThan(1e-7);
    }
  });
});

describe('Kaplan-Yorke dimension', () => {
  it('follows its definition', () => {
    expect(kaplanYorkeDimension([-0.1, -0.5])).toBe(0);
    expect(kaplanYorkeDimension([0.5, -1])).toBeCloseTo(1.5, 15);
    expect(kaplanYorkeDimension([-2, 1, 0.5])).toBeCloseTo(2 + 1.5 / 2, 15); // sorted first
    expect(kaplanYorkeDimension([1, -0.4, -3])).toBeCloseTo(2 + 0.6 / 3, 15);
    expect(kaplanYorkeDimension([0.1, 0.2])).toBe(2);
  });
});
