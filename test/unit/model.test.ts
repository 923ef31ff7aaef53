import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { RnnModel } from '../../src/model/rnn';
import { initRnnWeights, RNN_TENSOR_NAMES, type RnnTensorName } from '../../src/model/init';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

interface Fixture {
  model: {
    input_size: number;
    hidden_size: number;
    num_classes: number;
    tensors: Record<RnnTensorName, { shape: number[]; data: number[] }>;
  };
  probe: { inputs: number[][][]; labels: number[]; h0?: number[][] };
  expected: { logits: number[][]; loss: number[]; grad_weight_hh: number[][][] };
}
const load = (name: string): Fixture => {
  const read = (kind: string) => JSON.parse(readFileSync(`test/fixtures/${name}.${kind}.json`, 'utf8'));
  return { model: read('model'), probe: read('probe'), expected: read('expected') };
};

type Variant = 'custom' | 'autodiff-fold' | 'autodiff-perstep';
const VARIANTS: Variant[] = ['custom', 'autodiff-fold', 'autodiff-perstep'];

function modelFromFixture(f: Fixture, variant: Variant): RnnModel {
  const m = new RnnModel({
    inputSize: f.model.input_size,
    hiddenSize: f.model.hidden_size,
    numClasses: f.model.num_classes,
    seed: 0,
    bias: true,
    recurrence: variant === 'custom' ? 'custom' : 'autodiff',
    foldInputProjection: variant !== 'autodiff-perstep',
  });
  m.setWeights(f.model.tensors);
  return m;
}

const RNN_CASES = ['rnn_n8_t12_d1', 'rnn_n16_t28_d28_trained', 'rnn_linear_n12_t40_d1', 'rnn_chaotic_g2_n16_t40_d1'];

describe.each(RNN_CASES)('float64 reference %s', (name) => {
  const f = load(name);
  const B = f.probe.labels.length;
  it.each(VARIANTS)('logits and per-sample loss to 1e-5 (%s recurrence)', async (variant) => {
    const m = modelFromFixture(f, variant);
    const x = tf.tensor3d(f.probe.inputs);
    const h0 = f.probe.h0 ? tf.tensor2d(f.probe.h0) : undefined;
    const [logits, ce] = tf.tidy(() => {
      const z = m.logits(x, h0);
      return [z, RnnModel.crossEntropy(z, tf.tensor1d(f.probe.labels, 'int32'))];
    });
    const z = await logits.array();
    const l = await ce.array();
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < f.model.num_classes; c++) expect(Math.abs(z[b][c] - f.expected.logits[b][c])).toBeLessThan(1e-5);
      expect(Math.abs(l[b] - f.expected.loss[b])).toBeLessThan(1e-5);
    }
    tf.dispose([x, h0, logits, ce]);
    m.dispose();
  });
  it.each(VARIANTS)('dL/dW_hh per sample (batch of 1, sum reduction) matches grad_weight_hh (%s)', async (variant) => {
    const m = modelFromFixture(f, variant);
    for (let b = 0; b < B; b++) {
      const x = tf.tensor3d([f.probe.inputs[b]]);
      const h0 = f.probe.h0 ? tf.tensor2d([f.probe.h0[b]]) : undefined;
      const { loss, grads } = m.gradients(x, Int32Array.of(f.probe.labels[b]), h0, 'sum');
      const g = (await grads.weight_hh_l0.array()) as number[][];
      const ref = f.expected.grad_weight_hh[b];
      const scale = Math.max(...ref.flat().map(Math.abs));
      for (let i = 0; i < ref.length; i++) {
        for (let j = 0; j < ref[i].length; j++) expect(Math.abs(g[i][j] - ref[i][j])).toBeLessThan(1e-5 * Math.max(1, scale));
      }
      expect(Math.abs((await loss.data())[0] - f.expected.loss[b])).toBeLessThan(1e-5);
      tf.dispose([x, h0, loss, ...Object.values(grads)]);
    }
    m.dispose();
  });
});

describe('custom recurrence gradient', () => {
  it('equals autodiff of the unrolled loop for every tensor and the input, with and without h0, mean reduction', async () => {
    const D = 3,
      N = 7,
      B = 4,
      T = 9;
    const x = tf.tensor3d(
      Float32Array.from({ length: B * T * D }, (_, i) => Math.sin(0.7 * i)),
      [B, T, D],
    );
    const h0 = tf.tensor2d(
      Float32Array.from({ length: B * N }, (_, i) => 0.5 * Math.cos(1.3 * i)),
      [B, N],
    );
    const y = Int32Array.of(3, 1, 4, 1);
    for (const start of [h0, undefined]) {
      const grads: Record<string, number[]>[] = [];
      for (const recurrence of ['custom', 'autodiff'] as const) {
        const m = new RnnModel({ inputSize: D, hiddenSize: N, seed: 21, gain: 1.5, recurrence });
        const r = m.gradients(x, y, start);
        const out: Record<string, number[]> = {};
        for (const n of RNN_TENSOR_NAMES) out[n] = Array.from(await r.grads[n].data());
        // dL/dx (input saliency) through the same op.
        const labels = tf.tensor1d(y, 'int32');
        const dx = tf.grad((xx: tf.Tensor) => m.loss(xx as tf.Tensor3D, labels, start))(x);
        out.x = Array.from(await dx.data());
        tf.dispose([dx, labels]);
        grads.push(out);
        tf.dispose([r.loss, ...Object.values(r.grads)]);
        m.dispose();
      }
      for (const n of [...RNN_TENSOR_NAMES, 'x']) {
        const scale = Math.max(...grads[1][n].map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        grads[0][n].forEach((v, i) => expect(Math.abs(v - grads[1][n][i])).toBeLessThan(1e-5 * scale));
      }
    }
    tf.dispose([x, h0]);
  });
});

describe('initialisation', () => {
  const stats = (a: Float32Array) => {
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    return { mean, std: Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length) };
  };
  it('Xavier-normal std = gain * sqrt(2 / (fan_in + fan_out)) for every matrix; biases zero', () => {
    const w = initRnnWeights({ inputSize: 28, hiddenSize: 256, numClasses: 10, init: 'xavier', gain: 0.005, seed: 3 });
    for (const [name, rows, cols] of [
      ['weight_ih_l0', 256, 28],
      ['weight_hh_l0', 256, 256],
      ['fc.weight', 10, 256],
    ] as const) {
      const { mean, std } = stats(w[name].data);
      const expected = 0.005 * Math.sqrt(2 / (rows + cols));
      const n = rows * cols;
      // Sample std of n normals has relative sd ~ 1/sqrt(2n): allow 5 of those (and 1e-3 floor).
      expect(Math.abs(std / expected - 1)).toBeLessThan(Math.max(1e-3, 5 / Math.sqrt(2 * n)));
      expect(Math.abs(mean)).toBeLessThan((5 * expected) / Math.sqrt(n));
      expect(w[name].shape).toEqual([rows, cols]);
    }
    expect(
      w.bias_ih_l0.data.every((v) => v === 0) && w.bias_hh_l0.data.every((v) => v === 0) && w['fc.bias'].data.every((v) => v === 0),
    ).toBe(true);
  });
  it('orthogonal W_hh: W W^T = gain^2 I', () => {
    const N = 64,
      gain = 1.3;
    const w = initRnnWeights({ inputSize: 1, hiddenSize: N, numClasses: 10, init: 'orthogonal', gain, seed: 5 }).weight_hh_l0.data;
    let maxErr = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        let dot = 0;
        for (let k = 0; k < N; k++) dot += w[i * N + k] * w[j * N + k];
        maxErr = Math.max(maxErr, Math.abs(dot - (i === j ? gain * gain : 0)));
      }
    }
    expect(maxErr).toBeLessThan(1e-5);
  });
  it('a seed reproduces identical weights and losses; another seed differs', async () => {
    const x = tf.tensor3d(
      Float32Array.from({ length: 4 * 6 * 3 }, (_, i) => Math.sin(i)),
      [4, 6, 3],
    );
    const y = Int32Array.of(0, 1, 2, 3);
    const run = async (seed: number) => {
      const m = new RnnModel({ inputSize: 3, hiddenSize: 8, seed, optimizer: 'adam', lr: 0.01 });
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const l = m.trainStep(x, y);
        losses.push((await l.data())[0]);
        l.dispose();
      }
      const w = await m.getWeights();
      m.dispose();
      return { losses, whh: Array.from(w.weight_hh_l0.data) };
    };
    const a = await run(11),
      b = await run(11),
      c = await run(12);
    expect(b.losses).toEqual(a.losses);
    expect(b.whh).toEqual(a.whh);
    expect(c.whh).not.toEqual(a.whh);
    x.dispose();
  });
});

describe('RnnModel bookkeeping', () => {
  it('no tensor leaks across training steps (after the optimiser creates its slots)', async () => {
    for (const optimizer of ['sgd', 'adam', 'rmsprop'] as const) {
      const m = new RnnModel({ inputSize: 2, hiddenSize: 6, seed: 1, optimizer, clip: 1, bias: optimizer !== 'sgd' });
      const x = tf.tensor3d(
        Float32Array.from({ length: 5 * 4 * 2 }, (_, i) => Math.cos(i)),
        [5, 4, 2],
      );
      const y = Int32Array.of(0, 1, 2, 3, 4);
      const step = async () => {
        const r = m.trainStepWithStats(x, y);
        await Promise.all([r.loss.data(), r.correct.data()]);
        tf.dispose([r.loss, r.correct]);
      };
      await step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) await step();
      await m.evaluate(x, y, 2);
      const { loss, grads } = m.gradients(x, y);
      tf.dispose([loss, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    }
  });
  it('bias=false keeps biases at zero through training; setWeights round-trips and validates', async () => {
    const m = new RnnModel({ inputSize: 2, hiddenSize: 4, seed: 2, bias: false, optimizer: 'sgd', lr: 0.5 });
    const x = tf.tensor3d(
      Float32Array.from({ length: 3 * 5 * 2 }, (_, i) => (i % 7) / 7),
      [3, 5, 2],
    );
    for (let i = 0; i < 3; i++) m.trainStep(x, Int32Array.of(1, 2, 3)).dispose();
    const w = await m.getWeights();
    expect(w.bias_ih_l0.data.every((v) => v === 0) && w.bias_hh_l0.data.every((v) => v === 0)).toBe(true);
    expect(w['fc.bias'].data.some((v) => v !== 0)).toBe(true);
    const other = new RnnModel({ inputSize: 2, hiddenSize: 4, seed: 99, bias: false });
    other.setWeights(w);
    expect(Array.from((await other.getWeights()).weight_hh_l0.data)).toEqual(Array.from(w.weight_hh_l0.data));
    expect(() => other.setWeights({ ...w, bias_hh_l0: { shape: [4], data: [0, 1, 0, 0] } })).toThrow(/bias-free/);
    expect(() => other.setWeights({ ...w, weight_hh_l0: { shape: [4, 3], data: new Float32Array(12) } })).toThrow(
      /shape \[4, 3\], the model needs \[4, 4\]/,
    );
    // Gradient clipping bounds the update: with clip c and SGD lr, no parameter moves more than lr * c.
    const clipped = new RnnModel({ inputSize: 2, hiddenSize: 4, seed: 2, optimizer: 'sgd', lr: 1, clip: 1e-3 });
    const w0 = await clipped.getWeights();
    clipped.trainStep(x, Int32Array.of(1, 2, 3)).dispose();
    const w1 = await clipped.getWeights();
    let sq = 0;
    for (const n of RNN_TENSOR_NAMES) w0[n].data.forEach((v, i) => (sq += (w1[n].data[i] - v) ** 2));
    expect(Math.sqrt(sq)).toBeLessThan(1e-3 * (1 + 1e-4));
    expect(Math.sqrt(sq)).toBeGreaterThan(1e-3 * 0.999);
    tf.dispose([x]);
    m.dispose();
    other.dispose();
    clipped.dispose();
  });
});
