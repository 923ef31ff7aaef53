/**
 * Alignment for gated cells (method.md §4, "Gated cells"): the prefix-loss gradient dL_t/dW_hh
 * ([G*N][N], gates stacked) against float64 central finite differences, its SVD's right singular
 * vectors (in R^N), the LSTM's h-block Q basis, and the epoch analysis' alignment summary.
 */
import { describe, expect, it } from 'vitest';
import { createCell, crossEntropy } from '../../src/core/dynamics/cells';
import { probeLyapunov } from '../../src/core/dynamics/lyapunov';
import { gatedPrefixWhhGrads, hiddenBlockBasis, probeStepAlignments } from '../../src/core/dynamics/alignment';
import { probeTrajectory, runTrajectory } from '../../src/core/dynamics/trajectory';
import { analyzeEpochDynamics } from '../../src/core/analysis/epochAnalysis';
import { GATES } from '../../src/core/formats/model';
import { createRng } from '../../src/core/rng';
import { loadFixture } from './dynamics.fixtures';

const CASES = ['gru_n8_t10_d2', 'lstm_n8_t10_d2'] as const;

describe.each(CASES)('%s', (name) => {
  const { weights, probe } = loadFixture(name);
  const cell = createCell(weights);
  const N = cell.hiddenSize,
    S = cell.stateSize,
    D = cell.inputSize,
    C = cell.numClasses;
  const GN = GATES[weights.arch] * N;
  const steps = [1, 4, 7, probe.T];

  /** Prefix loss L_t of probe b: CE of the readout after step t, from the probe's h0 (and c0). */
  function prefixLoss(b: number, t: number): number {
    const s0 = probeTrajectory(cell, probe, b).states.slice(0, S);
    const traj = runTrajectory(cell, probe.inputs, b * probe.T * D, t, s0);
    const z = new Float64Array(C);
    cell.readout(traj.states, t * S, z, 0);
    return crossEntropy(z, 0, C, probe.labels[b]);
  }

  it('dL_t/dW_hh [G*N][N] equals central finite differences of the prefix loss (every entry, 4 steps, 2 probes)', () => {
    const W = weights.tensors.weight_hh_l0;
    const h = 1e-6;
    for (const b of [0, probe.B - 1]) {
      const traj = probeTrajectory(cell, probe, b);
      const grads = gatedPrefixWhhGrads(cell, probe.inputs, b * probe.T * D, traj, probe.labels[b], steps);
      for (const t of steps) {
        const g = grads.get(t)!;
        expect(g.length).toBe(GN * N);
        let worst = 0,
          scale = 0;
        for (let i = 0; i < GN * N; i++) {
          const w = W[i];
          W[i] = w + h;
          const lp = prefixLoss(b, t);
          W[i] = w - h;
          const lm = prefixLoss(b, t);
          W[i] = w;
          const fd = (lp - lm) / (2 * h);
          worst = Math.max(worst, Math.abs(g[i] - fd));
          scale = Math.max(scale, Math.abs(fd));
        }
        // Central differences in float64: truncation ~h^2 and rounding ~1e-16/h, both below 1e-8.
        expect(scale).toBeGreaterThan(1e-4);
        expect(worst).toBeLessThan(1e-8);
      }
    }
  });

  it('alignment pairs Q_t in R^N with the right singular vectors of dL_t/dW_hh', () => {
    const kq = Math.min(S, 12);
    const L = probeLyapunov(cell, probe, { k: kq, keepQAt: steps, keepTrajectories: true });
    for (let b = 0; b < probe.B; b++) {
      const per = probeStepAlignments(cell, L.trajectories![b], probe.labels[b], steps, L.runs[b].qAt!, kq, 6, {
        inputs: probe.inputs,
        xBase: b * probe.T * D,
      });
      const grads = gatedPrefixWhhGrads(cell, probe.inputs, b * probe.T * D, L.trajectories![b], probe.labels[b], steps);
      for (const st of per) {
        const G = grads.get(st.t)!;
        // G v_j has norm s_j and G^T G v_j = s_j^2 v_j: v_j is a right singular vector in R^N.
        for (let j = 0; j < 3; j++) {
          const v = st.svd.V.subarray(j * N, (j + 1) * N);
          const Gv = new Float64Array(GN);
          for (let r = 0; r < GN; r++) for (let c = 0; c < N; c++) Gv[r] += G[r * N + c] * v[c];
          const GtGv = new Float64Array(N);
          for (let r = 0; r < GN; r++) for (let c = 0; c < N; c++) GtGv[c] += G[r * N + c] * Gv[r];
          const s = st.svd.s[j];
          expect(Math.hypot(...Gv)).toBeCloseTo(s, 10);
          for (let c = 0; c < N; c++) expect(Math.abs(GtGv[c] - s * s * v[c])).toBeLessThan(1e-10 * Math.max(1, s * s));
        }
        // Q in R^N, orthonormal.
        expect(st.q.length).toBe(st.kq * N);
        expect(st.kq).toBe(Math.min(kq, N));
        for (let a = 0; a < st.kq; a++) {
          for (let c = 0; c < st.kq; c++) {
            let d = 0;
            for (let i = 0; i < N; i++) d += st.q[a * N + i] * st.q[c * N + i];
            expect(Math.abs(d - (a === c ? 1 : 0))).toBeLessThan(1e-12);
          }
        }
      }
    }
  });

  it('runs in the epoch analysis: finite paper statistic and right overlaps in [0, 1]; left statistics undefined (NaN)', () => {
    const dyn = analyzeEpochDynamics(weights, { ...probe, h0: undefined, c0: undefined }, { k: 8, seed: 3 });
    const a = dyn.alignment!;
    expect(a).not.toBeNull();
    expect(a.steps).toEqual([2, 4, 6, 8, 10]);
    for (const v of [...a.paperStd, ...a.paperStdRandomQ, ...a.paperStdWhh, ...a.paperStdMismatched])
      expect(Number.isFinite(v) && v >= 0).toBe(true);
    for (const row of a.overlapRight) for (const v of row) expect(v >= 0 && v <= 1 + 1e-12).toBe(true);
    for (const row of [...a.overlapLeft, ...a.overlapLeftMismatched, ...a.overlapLeftWhh])
      for (const v of row) expect(Number.isNaN(v)).toBe(true);
    expect(a.nullCosStd).toBeCloseTo(1 / Math.sqrt(N), 14);
  });
});

describe('hiddenBlockBasis (LSTM: Q vectors in R^2N -> an orthonormal basis of R^N)', () => {
  it('orthonormal, nested spans of the h-blocks, at most N vectors, dependent blocks skipped', () => {
    const N = 5,
      S = 10,
      kq = 8;
    const rng = createRng(4);
    const q = Float64Array.from({ length: kq * S }, () => rng.normal());
    // Vector 2's h-block is a combination of vectors 0 and 1's: it adds no direction.
    for (let i = 0; i < N; i++) q[2 * S + i] = 0.3 * q[i] - 2 * q[S + i];
    const { q: out, kq: k } = hiddenBlockBasis(q, kq, N, S);
    expect(k).toBe(N);
    for (let a = 0; a < k; a++) {
      for (let c = 0; c < k; c++) {
        let d = 0;
        for (let i = 0; i < N; i++) d += out[a * N + i] * out[c * N + i];
        expect(Math.abs(d - (a === c ? 1 : 0))).toBeLessThan(1e-13);
      }
    }
    // Output 0 is h-block 0 normalised; output 1 lies in span(h-blocks 0, 1); output 2 comes from vector 3.
    const h0 = q.subarray(0, N),
      n0 = Math.hypot(...h0);
    for (let i = 0; i < N; i++) expect(out[i]).toBeCloseTo(h0[i] / n0, 14);
    const resid = (v: Float64Array, vecs: Float64Array[]) => {
      const r = Float64Array.from(v);
      for (const u of vecs) {
        const d = u.reduce((s, x, i) => s + x * r[i], 0);
        for (let i = 0; i < N; i++) r[i] -= d * u[i];
      }
      return Math.hypot(...r);
    };
    const basis01 = [out.slice(0, N), out.slice(N, 2 * N)];
    expect(resid(q.slice(2 * S, 2 * S + N), basis01)).toBeLessThan(1e-12);
    expect(resid(out.slice(2 * N, 3 * N), [...basis01, out.slice(2 * N, 3 * N)])).toBeLessThan(1e-12);
    expect(resid(q.slice(3 * S, 3 * S + N), [...basis01, out.slice(2 * N, 3 * N)])).toBeLessThan(1e-12);
  });
});
