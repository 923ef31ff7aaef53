import { describe, expect, it } from 'vitest';
import { createCell, forwardLosses } from '../../src/core/dynamics/cells';
import { probeLyapunov } from '../../src/core/dynamics/lyapunov';
import { readFileSync } from 'node:fs';
import {
  bpttSample,
  cosine,
  gradsFromDeltas,
  projectDeltas,
  qrFormDeltas,
  relativeDifference,
  rnnRecurrentGradient,
} from '../../src/core/dynamics/gradients';
import { svd } from '../../src/core/linalg/svd';
import { singularValues } from '../../src/core/linalg/topSvd';
import { getAnalysisKernels, setAnalysisKernels } from '../../src/core/kernels';
import { createWasmAnalysisKernels } from '../../src/core/kernels/wasm';
import { GATES } from '../../src/core/formats/model';
import { expectClose, FIXTURE_CASES, loadFixture } from './dynamics.fixtures';

describe('BPTT and the Q/R gradient against the float64 fixtures', () => {
  it.each(FIXTURE_CASES)('%s: every tensor, prefix losses, singular values, |dL/dx|, Q/R = BPTT', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const cell = createCell(weights);
    const S = cell.stateSize;
    const N = cell.hiddenSize;
    const { T, D } = probe;
    const L = probeLyapunov(cell, probe, { k: S, keepAllQ: true, keepAllR: true, keepTrajectories: true });
    for (let b = 0; b < probe.B; b++) {
      const traj = L.trajectories![b];
      const x0 = b * T * D;
      const g = bpttSample(cell, probe.inputs, x0, traj, probe.labels[b], { wantDeltas: true, wantDx: true });
      expectClose(g.cell.weight_hh, expected.grad_weight_hh[b], 1e-8, 1e-13, 'grad_weight_hh');
      expectClose(g.cell.weight_ih, expected.grads.weight_ih_l0[b], 1e-8, 1e-13, 'weight_ih');
      expectClose(g.cell.bias_ih, expected.grads.bias_ih_l0[b], 1e-8, 1e-13, 'bias_ih');
      expectClose(g.cell.bias_hh, expected.grads.bias_hh_l0[b], 1e-8, 1e-13, 'bias_hh');
      expectClose(g.fcWeight, expected.grads['fc.weight'][b], 1e-8, 1e-13, 'fc.weight');
      expectClose(g.fcBias, expected.grads['fc.bias'][b], 1e-8, 1e-13, 'fc.bias');
      expectClose(svd(g.cell.weight_hh, GATES[weights.arch] * N, N).s, expected.singular_values[b], 1e-8, 1e-13, 'singular_values');
      // The values-only path analyze.ts takes (Golub-Kahan without vectors).
      expectClose(
        singularValues(g.cell.weight_hh, GATES[weights.arch] * N, N),
        expected.singular_values[b],
        1e-8,
        1e-13,
        'singular values only',
      );
      const lossT = Array.from({ length: T }, (_, t) => bpttSample(cell, probe.inputs, x0, traj, probe.labels[b], { tLoss: t + 1 }).loss);
      expectClose(lossT, expected.loss_t[b], 1e-8, 1e-13, 'loss_t');
      if (expected.flip?.abs_dLdx) {
        const abs = Array.from({ length: T }, (_, t) => {
          let s = 0;
          for (let d = 0; d < D; d++) s += Math.abs(g.dLdx![t * D + d]);
          return s;
        });
        expectClose(abs, expected.flip.abs_dLdx[b], 1e-8, 1e-13, 'abs_dLdx (sum over D of |dL/dx_t|)');
      }
      // The paper's identity delta_t = Q_t (R_T ... R_{t+1})^T Q_T^T g_T (float64: ~1e-15).
      const dq = qrFormDeltas(L.runs[b], g.deltas!.subarray(T * S, (T + 1) * S));
      expect(relativeDifference(dq.subarray(S), g.deltas!.subarray(S))).toBeLessThan(1e-10);
      const gq = gradsFromDeltas(cell, probe.inputs, x0, traj, dq);
      for (const key of ['weight_hh', 'weight_ih', 'bias_ih', 'bias_hh'] as const) {
        expect(relativeDifference(gq[key], g.cell[key])).toBeLessThan(1e-10);
      }
      if (expected.reduced_rank) {
        const cos = expected.reduced_rank.q.map((q: number) =>
          cosine(gradsFromDeltas(cell, probe.inputs, x0, traj, projectDeltas(L.runs[b], g.deltas!, q)).weight_hh, g.cell.weight_hh),
        );
        expectClose(cos, expected.reduced_rank.cos_to_full_grad_weight_hh[b], 1e-8, 1e-12, 'reduced_rank');
        // analyze.ts forms weight_hh alone as one kernel product (rnnRecurrentGradient).
        const cosProduct = expected.reduced_rank.q.map((q: number) =>
          cosine(rnnRecurrentGradient(traj, projectDeltas(L.runs[b], g.deltas!, q)), g.cell.weight_hh),
        );
        expectClose(cosProduct, expected.reduced_rank.cos_to_full_grad_weight_hh[b], 1e-8, 1e-12, 'reduced_rank by product');
        // q = N projects onto the whole space: the full gradient.
        if (expected.reduced_rank.q.at(-1) === N) expect(cos.at(-1)).toBeCloseTo(1, 12);
      }
    }
  });

  it.each(['gru_n8_t10_d2', 'lstm_n8_t10_d2', 'rnn_n16_t28_d28_trained'])('%s: gradients equal central differences of the loss', (name) => {
    const { weights, probe } = loadFixture(name);
    const cell = createCell(weights);
    const { T, D } = probe;
    const b = 1;
    const x = probe.inputs.slice(b * T * D, (b + 1) * T * D);
    const h0 = probe.h0?.slice(b * cell.hiddenSize, (b + 1) * cell.hiddenSize);
    const c0 = probe.c0?.slice(b * cell.hiddenSize, (b + 1) * cell.hiddenSize);
    const s0 = new Float64Array(cell.stateSize);
    if (h0) s0.set(h0);
    if (c0) s0.set(c0, cell.hiddenSize);
    const traj = trajectoryFrom(cell, x, T, s0);
    const g = bpttSample(cell, x, 0, traj, probe.labels[b], { wantDx: true });
    const lossOf = () => forwardLosses(cell, x, [probe.labels[b]], T, D, h0, c0).loss[0];
    const h = 1e-6;
    const fd = (arr: Float64Array, i: number) => {
      const keep = arr[i];
      arr[i] = keep + h;
      const up = lossOf();
      arr[i] = keep - h;
      const down = lossOf();
      arr[i] = keep;
      return (up - down) / (2 * h);
    };
    const Whh = weights.tensors.weight_hh_l0;
    for (const i of [0, 7, Math.floor(Whh.length / 2), Whh.length - 1])
      expect(Math.abs(fd(Whh, i) - g.cell.weight_hh[i])).toBeLessThan(1e-7);
    const bih = weights.tensors.bias_ih_l0;
    for (const i of [1, bih.length - 2]) expect(Math.abs(fd(bih, i) - g.cell.bias_ih[i])).toBeLessThan(1e-7);
    for (const i of [0, Math.floor(x.length / 2), x.length - 1]) expect(Math.abs(fd(x, i) - g.dLdx![i])).toBeLessThan(1e-7);
  });
});

/** Trajectory of one sequence from an explicit initial state. */
function trajectoryFrom(cell: ReturnType<typeof createCell>, x: Float64Array, T: number, s0: Float64Array) {
  const S = cell.stateSize;
  const states = new Float64Array((T + 1) * S);
  const cache = new Float64Array(T * cell.cacheSize);
  states.set(s0);
  for (let t = 1; t <= T; t++) cell.step(x, (t - 1) * cell.inputSize, states, (t - 1) * S, states, t * S, cache, (t - 1) * cell.cacheSize);
  return { T, S, states, cache };
}

describe('rnnRecurrentGradient', () => {
  it('equals the weight_hh of gradsFromDeltas (BPTT deltas, float64) on the JS and the WASM SIMD kernels', async () => {
    const { weights, probe } = loadFixture('rnn_n16_t28_d28_trained');
    const cell = createCell(weights);
    const L = probeLyapunov(cell, probe, { k: 1, keepTrajectories: true });
    const js = getAnalysisKernels();
    const wasm = await createWasmAnalysisKernels(readFileSync(new URL('../../public/kernels/analysis.wasm', import.meta.url)));
    try {
      for (let b = 0; b < probe.B; b++) {
        const traj = L.trajectories![b];
        const g = bpttSample(cell, probe.inputs, b * probe.T * probe.D, traj, probe.labels[b], { wantDeltas: true });
        for (const tEnd of [1, 13, probe.T]) {
          const ref = gradsFromDeltas(cell, probe.inputs, b * probe.T * probe.D, traj, g.deltas!, tEnd).weight_hh;
          for (const kernels of [js, wasm]) {
            setAnalysisKernels(kernels);
            expect(relativeDifference(rnnRecurrentGradient(traj, g.deltas!, tEnd), ref), `${kernels.kind} tEnd ${tEnd}`).toBeLessThan(
              1e-14,
            );
          }
        }
      }
    } finally {
      setAnalysisKernels(js);
    }
  });
});
