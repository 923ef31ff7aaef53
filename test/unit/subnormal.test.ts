/**
 * The subnormal flush of the fast engine (docs/method.md "Subnormal flush"): BPTT deltas and
 * gradient sums below SUBNORMAL_FLUSH_BELOW = 2^-100 are written as 0. On a crafted sequence whose
 * deltas decay through the whole float32 range (contracting W_hh, decaying input pulse), the
 * unflushed engine (flushBelow = 0, IEEE) must leave subnormals and the flushed one none, and both
 * must train to the same numbers within the threshold and agree with a float64 BPTT reference
 * written out here. Both kernel sets (pure JS and WASM SIMD); the tanh cell, GRU and LSTM.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Arch } from '../../src/core/formats/model';
import { FastRnn } from '../../src/model/fast/engine';
import { createJsTrainingKernels, SUBNORMAL_FLUSH_BELOW, type TrainingKernels } from '../../src/model/fast/kernels';
import { createWasmTrainingKernels } from '../../src/model/fast/wasmKernels';
import { RNN_TENSOR_NAMES, type RnnWeights } from '../../src/model/init';

const WASM_BYTES = readFileSync('public/kernels/fast_rnn.wasm');
const KERNELS: [string, () => Promise<TrainingKernels>][] = [
  ['js', async () => createJsTrainingKernels()],
  ['wasm-simd', () => createWasmTrainingKernels(WASM_BYTES)],
];
const TINY = SUBNORMAL_FLUSH_BELOW;
const B = 4,
  T = 96,
  N = 8,
  D = 1,
  C = 10;

/** Decaying pulses x[b][t] = (b + 1)/4 * 0.8^t: the late steps, which carry the loss, see ~0 input. */
function craftedBatch(): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(B * T * D);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) x[b * T + t] = ((b + 1) / 4) * 0.8 ** t;
  return { x, y: Int32Array.from({ length: B }, (_, b) => (3 * b + 1) % C) };
}

/**
 * A seeded model with W_hh scaled by 0.1: each BPTT step shrinks the delta ~10x, past 2^-149 in ~45
 * steps. Gated cells also get a carry gate near 0 (GRU update gate z, LSTM forget gate: their
 * bias_hh rows N..2N at -5), or the carried delta would shrink only ~2x per step.
 */
async function craftedModel(kernels: TrainingKernels, cell: Arch, flushBelow: number): Promise<FastRnn> {
  const m = new FastRnn({ inputSize: D, hiddenSize: N, numClasses: C, seed: 5, optimizer: 'adam', lr: 1e-2, cell, flushBelow }, kernels);
  const w = m.getWeights();
  w.weight_hh_l0.data = Float32Array.from(w.weight_hh_l0.data, (v) => v * 0.1);
  if (cell !== 'rnn') w.bias_hh_l0.data = Float32Array.from(w.bias_hh_l0.data, (v, i) => (i >= N && i < 2 * N ? -5 : v));
  m.setWeights(w);
  return m;
}

/** Float64 BPTT of the tanh RNN (exact tanh), mean CE of the last step: the gradients of every tensor. */
function float64Gradients(w: RnnWeights, x: Float32Array, y: Int32Array): Record<string, Float64Array> {
  const Wih = w.weight_ih_l0.data,
    Whh = w.weight_hh_l0.data,
    bih = w.bias_ih_l0.data,
    bhh = w.bias_hh_l0.data,
    Wfc = w['fc.weight'].data,
    bfc = w['fc.bias'].data;
  const g: Record<string, Float64Array> = {};
  for (const n of RNN_TENSOR_NAMES) g[n] = new Float64Array(w[n].data.length);
  for (let b = 0; b < B; b++) {
    const H: Float64Array[] = [new Float64Array(N)];
    for (let t = 0; t < T; t++) {
      const h = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let a = bih[i] + bhh[i] + Wih[i] * x[b * T + t];
        for (let j = 0; j < N; j++) a += Whh[i * N + j] * H[t][j];
        h[i] = Math.tanh(a);
      }
      H.push(h);
    }
    const z = Array.from({ length: C }, (_, c) => {
      let s = bfc[c];
      for (let i = 0; i < N; i++) s += Wfc[c * N + i] * H[T][i];
      return s;
    });
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    const dz = z.map((v, c) => (Math.exp(v - lse) - (c === y[b] ? 1 : 0)) / B);
    let dh = new Float64Array(N);
    for (let c = 0; c < C; c++) {
      g['fc.bias'][c] += dz[c];
      for (let i = 0; i < N; i++) {
        g['fc.weight'][c * N + i] += dz[c] * H[T][i];
        dh[i] += dz[c] * Wfc[c * N + i];
      }
    }
    for (let t = T; t >= 1; t--) {
      const da = dh.map((v, i) => v * (1 - H[t][i] * H[t][i]));
      const prev = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        g.bias_ih_l0[i] += da[i];
        g.bias_hh_l0[i] += da[i];
        g.weight_ih_l0[i] += da[i] * x[b * T + t - 1];
        for (let j = 0; j < N; j++) {
          g.weight_hh_l0[i * N + j] += da[i] * H[t - 1][j];
          prev[j] += da[i] * Whh[i * N + j];
        }
      }
      dh = prev;
    }
  }
  return g;
}

describe('subnormal flush (SUBNORMAL_FLUSH_BELOW = 2^-100)', () => {
  for (const [name, make] of KERNELS) {
    it(`${name}: tanhGrad and flushTiny zero |v| < threshold, keep the rest and NaN`, async () => {
      const k = await make();
      const n = 11,
        dH = k.base(),
        H = dH + 12,
        dA = H + 12,
        X = dA + 12;
      k.reserve(X + 12);
      const h = k.heap();
      const vals = [1, -1e-30, 1e-31, -(2 ** -100), 2 ** -101, 3e-39, -1e-45, 0, Number.NaN, 0.25, -(2 ** -99)];
      for (let i = 0; i < n; i++) {
        h[dH + i] = vals[i];
        h[H + i] = 0;
        h[X + i] = vals[i];
      }
      k.tanhGrad(dA, dH, H, n, TINY);
      k.flushTiny(X, n, TINY);
      for (const out of [dA, X]) {
        for (let i = 0; i < n; i++) {
          const v = Math.fround(vals[i]);
          if (Number.isNaN(v)) expect(h[out + i]).toBeNaN();
          else expect(h[out + i]).toBe(Math.abs(v) < TINY ? 0 : v);
        }
      }
      // Without a threshold tanhGrad is IEEE: the subnormals come through.
      k.tanhGrad(dA, dH, H, n);
      expect(h[dA + 5]).toBe(Math.fround(3e-39));
      expect(h[dA + 6]).toBe(Math.fround(-1e-45));
    });

    it(`${name}: a decaying sequence leaves subnormal deltas only without the flush; both train to the float64 gradients and to the same weights`, async () => {
      const { x, y } = craftedBatch();
      const ieee = await craftedModel(await make(), 'rnn', 0);
      const flushed = await craftedModel(await make(), 'rnn', TINY);
      const ref = float64Gradients(ieee.getWeights(), x, y);
      ieee.computeGradients(x, y, B);
      flushed.computeGradients(x, y, B);
      // The crafted sequence does reach the subnormal range, and the flush keeps it out.
      expect(ieee.subnormalCounts(B, T).deltas).toBeGreaterThan(B * N);
      expect(flushed.subnormalCounts(B, T)).toEqual({ deltas: 0, gradients: 0 });
      const gi = ieee.getGradients(),
        gf = flushed.getGradients();
      for (const n of RNN_TENSOR_NAMES) {
        const r = ref[n];
        const scale = Math.max(...Array.from(r, Math.abs));
        for (let i = 0; i < r.length; i++) {
          // Float32 engine vs float64 truth (fast tanh ~4e-7): relative to the tensor's largest entry.
          expect(Math.abs(gi[n].data[i] - r[i])).toBeLessThan(1e-4 * scale + 1e-12);
          // Flushed vs IEEE: the dropped terms are < 2^-100 each, T*B of them at most per entry.
          expect(Math.abs(gf[n].data[i] - gi[n].data[i])).toBeLessThanOrEqual(TINY * T * B);
        }
      }
      // A few Adam steps: the same numbers within the threshold.
      for (let s = 0; s < 4; s++) {
        const a = ieee.trainStep(x, y, B),
          b = flushed.trainStep(x, y, B);
        expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(TINY);
      }
      const wi = ieee.getWeights(),
        wf = flushed.getWeights();
      for (const n of RNN_TENSOR_NAMES)
        for (let i = 0; i < wi[n].data.length; i++) expect(Math.abs(wf[n].data[i] - wi[n].data[i])).toBeLessThanOrEqual(TINY);
    });

    for (const cell of ['gru', 'lstm'] as const) {
      it(`${name}: ${cell} on the decaying sequence: subnormal deltas only without the flush, same gradients within the threshold`, async () => {
        const { x, y } = craftedBatch();
        const ieee = await craftedModel(await make(), cell, 0);
        const flushed = await craftedModel(await make(), cell, TINY);
        ieee.computeGradients(x, y, B);
        flushed.computeGradients(x, y, B);
        expect(ieee.subnormalCounts(B, T).deltas).toBeGreaterThan(0);
        expect(flushed.subnormalCounts(B, T)).toEqual({ deltas: 0, gradients: 0 });
        const gi = ieee.getGradients(),
          gf = flushed.getGradients();
        for (const n of RNN_TENSOR_NAMES)
          for (let i = 0; i < gi[n].data.length; i++) expect(Math.abs(gf[n].data[i] - gi[n].data[i])).toBeLessThanOrEqual(TINY * T * B * 4);
      });
    }
  }

  it('rejects a threshold that would reach float32 resolution', async () => {
    await expect(craftedModel(createJsTrainingKernels(), 'rnn', 1e-6)).rejects.toThrow(/flushBelow/);
  });
});
