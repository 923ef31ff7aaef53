import { describe, expect, it } from 'vitest';
import { createCell, type Cell } from '../../src/core/dynamics/cells';
import { matTimesVectors } from '../../src/core/kernels/js';
import { ftleAt, probeLyapunov, qrIteration } from '../../src/core/dynamics/lyapunov';
import { probeTrajectory, runTrajectory, type Trajectory } from '../../src/core/dynamics/trajectory';
import { vectorsToRowMajor } from '../../src/core/linalg/qr';
import type { ModelWeights } from '../../src/core/formats/model';
import { createRng, type Rng } from '../../src/core/rng';
import { expectClose, FIXTURE_CASES, loadFixture } from './dynamics.fixtures';

describe('QR iteration against the float64 fixtures', () => {
  it.each(FIXTURE_CASES)('%s: rvals, ftle, ftle_mid, q_final (diag R > 0 makes Q unique)', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const cell = createCell(weights);
    const L = probeLyapunov(cell, probe, { k: expected.k });
    expectClose(Array.from(L.lnR, Math.exp), expected.rvals, 1e-8, 1e-12, 'rvals');
    expectClose(L.spectrum, expected.ftle, 1e-8, 1e-12, 'ftle');
    const mid = L.runs.flatMap((r) => Array.from(ftleAt(r.lnR, L.k, expected.ftle_mid.t)));
    expectClose(mid, expected.ftle_mid.values, 1e-8, 1e-12, 'ftle_mid');
    const q = L.runs.flatMap((r) => Array.from(vectorsToRowMajor(r.qFinal, L.S, L.k)));
    expectClose(q, expected.q_final, 1e-8, 1e-10, 'q_final');
  });

  it('k < N gives exactly the first k R values and Q vectors of the k = N run', () => {
    const { weights, probe } = loadFixture('rnn_chaotic_g2_n16_t40_d1');
    const cell = createCell(weights);
    const full = probeLyapunov(cell, probe, { k: 16 });
    for (const k of [1, 3, 5, 8]) {
      const part = probeLyapunov(cell, probe, { k });
      for (let i = 0; i < probe.B * probe.T; i++) {
        for (let a = 0; a < k; a++) expect(Math.abs(part.lnR[i * k + a] - full.lnR[i * 16 + a])).toBeLessThan(1e-13);
      }
      for (let a = 0; a < k * 16; a++) expect(Math.abs(part.runs[0].qFinal[a] - full.runs[0].qFinal[a])).toBeLessThan(1e-12);
    }
  });

  it('J_s ... J_{t+1} = Q_s (R_s ... R_{t+1}) Q_t^T with k = N', () => {
    const { weights, probe } = loadFixture('rnn_chaotic_g2_n16_t40_d1');
    const cell = createCell(weights);
    const S = cell.stateSize;
    const traj = probeTrajectory(cell, probe, 1);
    const run = qrIteration(cell, probe.inputs, probe.T * probe.D, traj, { k: S, keepAllQ: true, keepAllR: true });
    const t = 5;
    const s = 15;
    // Left side: product of Jacobians (vector-major: columns of the running product).
    let P = new Float64Array(S * S);
    for (let a = 0; a < S; a++) P[a * S + a] = 1;
    for (let u = t + 1; u <= s; u++) {
      const next = new Float64Array(S * S);
      cell.applyJacobian(probe.inputs, probe.T * probe.D + (u - 1) * probe.D, traj.states, (u - 1) * S, traj.states, u * S, P, S, next);
      P = next;
    }
    // Right side: Rprod = R_s ... R_{t+1} (row-major), then Q_s Rprod Q_t^T.
    let Rp = new Float64Array(S * S);
    for (let a = 0; a < S; a++) Rp[a * S + a] = 1;
    for (let u = t + 1; u <= s; u++) {
      const Ru = run.rAll!.subarray((u - 1) * S * S, u * S * S);
      const next = new Float64Array(S * S);
      for (let i = 0; i < S; i++)
        for (let j = 0; j < S; j++) {
          let acc = 0;
          for (let l = 0; l < S; l++) acc += Ru[i * S + l] * Rp[l * S + j];
          next[i * S + j] = acc;
        }
      Rp = next;
    }
    const Qs = run.qAll!.subarray(s * S * S, (s + 1) * S * S);
    const Qt = run.qAll!.subarray(t * S * S, (t + 1) * S * S);
    let scale = 0;
    for (const v of P) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) {
        // (Q_s Rp Q_t^T)[i][j] = sum_{a,b} Qs[a][i] Rp[a][b] Qt[b][j]; P is vector-major: P[j*S + i].
        let acc = 0;
        for (let a = 0; a < S; a++) for (let b = 0; b < S; b++) acc += Qs[a * S + i] * Rp[a * S + b] * Qt[b * S + j];
        expect(Math.abs(acc - P[j * S + i])).toBeLessThan(1e-11 * scale);
      }
    for (let u = 1; u <= traj.T; u++) for (let a = 0; a < S; a++) expect(run.rAll![(u - 1) * S * S + a * S + a]).toBeGreaterThan(0);
  });
});

/** A cell whose Jacobian is a given matrix per step (linear maps, random matrix products). */
function linearCell(S: number, jacobianAt: (t: number, out: Float64Array) => void): Cell {
  const J = new Float64Array(S * S);
  const w = { arch: 'rnn', inputSize: 1, hiddenSize: S, numClasses: 1 } as unknown as ModelWeights;
  let t = 0;
  return {
    arch: 'rnn',
    weights: w,
    inputSize: 1,
    hiddenSize: S,
    stateSize: S,
    numClasses: 1,
    cacheSize: 0,
    step: () => undefined,
    jacobian: (_x, _o, _s, _so, out) => jacobianAt(t, out),
    applyJacobian: (_x, _xo, _s, _so, _o, _oo, v, k, out) => {
      jacobianAt(++t, J);
      matTimesVectors(J, S, S, v, k, out, null);
    },
    backward: () => undefined,
    readout: () => undefined,
  };
}

function spectrumOf(cell: Cell, S: number, T: number, k: number): Float64Array {
  const traj: Trajectory = { T, S, states: new Float64Array((T + 1) * S), cache: new Float64Array(0) };
  const run = qrIteration(cell, new Float64Array(T), 0, traj, { k });
  return ftleAt(run.lnR, k, T);
}

const gaussian = (rng: Rng, n: number, sd: number) => Float64Array.from({ length: n }, () => sd * rng.normal());

describe('method.md §7 anchors', () => {
  it('diagonal map: ln r_i(t) = ln|d_i| (sorted) from the first step', () => {
    const d = [0.5, -2, 1.5, -0.25, 1];
    const S = d.length;
    const cell = linearCell(S, (_t, out) => {
      out.fill(0);
      d.forEach((v, i) => (out[i * S + i] = v));
    });
    const T = 3;
    const traj: Trajectory = { T, S, states: new Float64Array((T + 1) * S), cache: new Float64Array(0) };
    const run = qrIteration(cell, new Float64Array(T), 0, traj, { k: S });
    // Q_0 = I keeps the diagonal order; R_t = |D| exactly, Q_t = sign(D)^t.
    for (let t = 0; t < T; t++) for (let i = 0; i < S; i++) expect(run.lnR[t * S + i]).toBeCloseTo(Math.log(Math.abs(d[i])), 14);
  });

  it('orthogonal map: all exponents 0', () => {
    const S = 6;
    const rng = createRng(11);
    const A = gaussian(rng, S * S, 1);
    // Orthonormalise the columns of A to get an orthogonal matrix.
    const Q = new Float64Array(S * S);
    for (let a = 0; a < S; a++) {
      for (let i = 0; i < S; i++) Q[a * S + i] = A[a * S + i];
      for (let b = 0; b < a; b++) {
        let c = 0;
        for (let i = 0; i < S; i++) c += Q[b * S + i] * Q[a * S + i];
        for (let i = 0; i < S; i++) Q[a * S + i] -= c * Q[b * S + i];
      }
      let n = 0;
      for (let i = 0; i < S; i++) n += Q[a * S + i] ** 2;
      for (let i = 0; i < S; i++) Q[a * S + i] /= Math.sqrt(n);
    }
    const cell = linearCell(S, (_t, out) => out.set(Q));
    for (const v of spectrumOf(cell, S, 200, S)) expect(Math.abs(v)).toBeLessThan(1e-12);
  });

  it('constant linear map: exponents -> ln|eig(A)| sorted', () => {
    // A = P diag(2, -1.2, 0.7, 0.3) P^{-1} with P unit upper triangular: known real eigenvalues.
    const ev = [2, -1.2, 0.7, 0.3];
    const S = 4;
    const P = [1, 0.5, -0.3, 0.2, 0, 1, 0.4, -0.6, 0, 0, 1, 0.8, 0, 0, 0, 1];
    // P^{-1} by back substitution (upper unit triangular).
    const Pinv = new Array(16).fill(0);
    for (let j = 0; j < S; j++) {
      for (let i = S - 1; i >= 0; i--) {
        let v = i === j ? 1 : 0;
        for (let l = i + 1; l < S; l++) v -= P[i * S + l] * Pinv[l * S + j];
        Pinv[i * S + j] = v;
      }
    }
    const A = new Float64Array(16);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) {
        let v = 0;
        for (let l = 0; l < S; l++) v += P[i * S + l] * ev[l] * Pinv[l * S + j];
        A[i * S + j] = v;
      }
    const cell = linearCell(S, (_t, out) => out.set(A));
    const T = 2000;
    const lam = spectrumOf(cell, S, T, S);
    const want = ev.map((e) => Math.log(Math.abs(e))).sort((a, b) => b - a);
    // Transient error ~ O(1/T) (log of eigenvector conditioning over T).
    for (let i = 0; i < S; i++) expect(Math.abs(lam[i] - want[i])).toBeLessThan(5e-3);
  });

  it('products of Ginibre matrices, N = 32: first four exponents match the digamma formula', () => {
    const S = 32;
    const rng = createRng(2024);
    const sd = 1 / Math.sqrt(S);
    const cell = linearCell(S, (_t, out) => {
      for (let i = 0; i < S * S; i++) out[i] = sd * rng.normal();
    });
    const lam = spectrumOf(cell, S, 12000, 4);
    const want = [-0.0158, -0.0322, -0.0491, -0.0667];
    for (let i = 0; i < 4; i++) expect(Math.abs(lam[i] - want[i])).toBeLessThan(4e-3);
  });

  it('autonomous random tanh RNN (N = 128): leading exponent < 0 at g = 0.5, 0.9 and > 0 at g = 2, 3', () => {
    const N = 128;
    const reference: Record<string, number> = { '0.5': -0.663, '0.9': -0.075, '2': 0.152, '3': 0.304 };
    for (const g of [0.5, 0.9, 2, 3]) {
      const rng = createRng(100 + Math.round(g * 10));
      const zeros = new Float64Array(N);
      const w: ModelWeights = {
        arch: 'rnn',
        inputSize: 1,
        hiddenSize: N,
        numClasses: 1,
        tensors: {
          weight_ih_l0: zeros,
          weight_hh_l0: gaussian(rng, N * N, g / Math.sqrt(N)),
          bias_ih_l0: zeros,
          bias_hh_l0: zeros,
          'fc.weight': zeros,
          'fc.bias': new Float64Array(1),
        },
      };
      const cell = createCell(w);
      const T = 1500;
      const burn = 300;
      const traj = runTrajectory(cell, new Float64Array(T), 0, T, gaussian(rng, N, 1));
      const run = qrIteration(cell, new Float64Array(T), 0, traj, { k: 1 });
      let lam = 0;
      for (let t = burn; t < T; t++) lam += run.lnR[t];
      lam /= T - burn;
      if (g < 1) expect(lam).toBeLessThan(0);
      else expect(lam).toBeGreaterThan(0);
      expect(Math.abs(lam - reference[String(g)])).toBeLessThan(0.1);
    }
  });
});
