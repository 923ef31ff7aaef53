/**
 * GRU and LSTM training (issue 15): the hand-written engine's gated path (FastRnn, cell gru|lstm)
 * and the tfjs RnnModel (cpu backend) against the float64 PyTorch fixtures (logits, per-sample
 * loss, the gradient of every tensor), the two engines against each other over optimiser steps,
 * and PyTorch's initialisation.
 *
 * Tolerance: float32 inputs, parameters and (tfjs) float32 arithmetic over T = 10 gated steps:
 * |got - ref| <= 1e-6 * max(1, max |ref|) per tensor. Measured worst cases: 7.5e-8 (tfjs cpu) and
 * 8.9e-8 (FastRnn, js and wasm-simd gemm kernels).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { RnnModel } from '../../src/model/rnn';
import { initGatedWeights, initRnnWeights, RNN_TENSOR_NAMES, type RnnTensorName } from '../../src/model/init';
import { FastRnn } from '../../src/model/fast/engine';
import { createJsTrainingKernels } from '../../src/model/fast/kernels';
import { createWasmTrainingKernels } from '../../src/model/fast/wasmKernels';
import { createRng } from '../../src/core/rng';
import { loadMnistAsset } from '../../src/data/mnistAsset';
import { encodeImages, sequenceSpec } from '../../src/data/encodings';
import { configFromHash, configToHash, PRESET_CONFIGS, validateConfig } from '../../src/core/formats/config';
import { parseRunArgs } from '../../src/cli/runCommand';
import { parseRunBundle, serializeRunBundle } from '../../src/core/formats/bundle';
import { FormatError } from '../../src/core/formats/errors';
import { loadBundledDigits, loadFastKernels, useWasmAnalysisKernels } from '../../src/cli/assets';
import { runHeadless } from '../../src/run/headless';

const WASM_BYTES = readFileSync('public/kernels/fast_rnn.wasm');
const TOL = 1e-6;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

interface Fixture {
  model: {
    arch: 'gru' | 'lstm';
    input_size: number;
    hidden_size: number;
    num_classes: number;
    tensors: Record<RnnTensorName, { shape: number[]; data: number[] }>;
  };
  probe: { inputs: number[][][]; labels: number[]; h0: number[][]; c0?: number[][] };
  expected: {
    logits: number[][];
    loss: number[];
    grad_weight_hh: number[][][];
    grads: Record<Exclude<RnnTensorName, 'weight_hh_l0'>, number[][] | number[][][]>;
  };
}
const load = (name: string): Fixture => {
  const read = (kind: string) => JSON.parse(readFileSync(`test/fixtures/${name}.${kind}.json`, 'utf8'));
  return { model: read('model'), probe: read('probe'), expected: read('expected') };
};
const CASES = ['gru_n8_t10_d2', 'lstm_n8_t10_d2'];

/** The fixture's reference gradient of tensor n for probe b, flattened. */
function refGrad(f: Fixture, n: RnnTensorName, b: number): number[] {
  return n === 'weight_hh_l0' ? f.expected.grad_weight_hh[b].flat() : (f.expected.grads[n][b] as number[] | number[][]).flat();
}

function worstScaled(got: ArrayLike<number>, ref: number[]): number {
  expect(got.length).toBe(ref.length);
  const scale = Math.max(1, ...ref.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / scale);
  return worst;
}

describe.each([
  ['js', async () => createJsTrainingKernels()],
  ['wasm-simd', () => createWasmTrainingKernels(WASM_BYTES)],
] as const)('FastRnn gated path with %s kernels', (_, make) => {
  it.each(CASES)('float64 reference %s: logits, loss and all six gradients', async (name) => {
    const f = load(name);
    const { input_size: D, hidden_size: N, num_classes: C } = f.model;
    const m = new FastRnn({ cell: f.model.arch, inputSize: D, hiddenSize: N, numClasses: C, seed: 0 }, await make());
    m.setWeights(f.model.tensors);
    for (let b = 0; b < f.probe.labels.length; b++) {
      const x = Float32Array.from(f.probe.inputs[b].flat());
      const h0 = Float32Array.from(f.probe.h0[b]);
      const c0 = f.probe.c0 ? Float32Array.from(f.probe.c0[b]) : undefined;
      const z = m.logits(x, 1, h0, c0);
      expect(worstScaled(z, f.expected.logits[b])).toBeLessThan(TOL);
      const r = m.computeGradients(x, [f.probe.labels[b]], 1, 'sum', h0, c0);
      expect(Math.abs(r.loss - f.expected.loss[b])).toBeLessThan(TOL);
      const g = m.getGradients();
      for (const n of RNN_TENSOR_NAMES) expect(worstScaled(g[n].data, refGrad(f, n, b)), n).toBeLessThan(TOL);
      expect(g.weight_hh_l0.shape).toEqual([(f.model.arch === 'gru' ? 3 : 4) * N, N]);
    }
    m.dispose();
  });
});

describe('tfjs RnnModel (cpu backend), gated cells', () => {
  it.each(CASES)('float64 reference %s: logits, loss and all six gradients', async (name) => {
    const f = load(name);
    const { input_size: D, hidden_size: N, num_classes: C } = f.model;
    const m = new RnnModel({ cell: f.model.arch, inputSize: D, hiddenSize: N, numClasses: C, seed: 0 });
    m.setWeights(f.model.tensors);
    for (let b = 0; b < f.probe.labels.length; b++) {
      const x = tf.tensor3d(f.probe.inputs[b].flat(), [1, f.probe.inputs[b].length, D]);
      const h0 = tf.tensor2d(f.probe.h0[b], [1, N]);
      const c0 = f.probe.c0 ? tf.tensor2d(f.probe.c0[b], [1, N]) : undefined;
      const z = tf.tidy(() => m.logits(x, h0, c0));
      expect(worstScaled(await z.data(), f.expected.logits[b])).toBeLessThan(TOL);
      const { loss, grads } = m.gradients(x, Int32Array.of(f.probe.labels[b]), h0, 'sum', c0);
      expect(Math.abs((await loss.data())[0] - f.expected.loss[b])).toBeLessThan(TOL);
      for (const n of RNN_TENSOR_NAMES) expect(worstScaled(await grads[n].data(), refGrad(f, n, b)), n).toBeLessThan(TOL);
      tf.dispose([x, h0, c0, z, loss, ...Object.values(grads)].filter((t): t is tf.Tensor => t !== undefined));
    }
    m.dispose();
  });
});

describe('gated training: FastRnn and RnnModel agree step by step', () => {
  it.each([
    ['gru', 'adam', true, 0, 'mean'],
    ['lstm', 'sgd', false, 0, 'sum'],
    ['gru', 'rmsprop', true, 0.5, 'mean'],
    ['lstm', 'adam', true, 0.05, 'mean'],
  ] as const)(
    '%s, %s, bias %s, clip %s, %s: same initial weights, losses and weights over 3 steps',
    async (cell, optimizer, bias, clip, reduction) => {
      const D = 5,
        T = 7,
        N = 12,
        B = 6;
      const lr = optimizer === 'sgd' ? 0.05 : 0.01;
      const opts = { cell, inputSize: D, hiddenSize: N, seed: 3, optimizer, bias, clip, reduction, lr } as const;
      const ref = new RnnModel(opts);
      const fast = new FastRnn(opts, createJsTrainingKernels());
      const w0 = await ref.getWeights();
      for (const n of RNN_TENSOR_NAMES) expect(Array.from(fast.getWeights()[n].data)).toEqual(Array.from(w0[n].data));
      const rng = createRng(11);
      for (let step = 0; step < 3; step++) {
        const x = Float32Array.from({ length: B * T * D }, () => rng.next());
        const labels = Int32Array.from({ length: B }, () => rng.int(10));
        const xt = tf.tensor3d(x, [B, T, D]);
        const lossT = ref.trainStep(xt, labels);
        const refLoss = (await lossT.data())[0];
        tf.dispose([xt, lossT]);
        const r = fast.trainStep(x, labels, B);
        expect(Math.abs(r.loss - refLoss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(refLoss)));
      }
      const wr = await ref.getWeights();
      const wf = fast.getWeights();
      for (const n of RNN_TENSOR_NAMES) expect(worstScaled(wf[n].data, Array.from(wr[n].data)), n).toBeLessThan(1e-5);
      ref.dispose();
      fast.dispose();
    },
  );
});

describe('PyTorch initialisation of gated cells', () => {
  it.each(['gru', 'lstm'] as const)('%s: every tensor U(-1/sqrt(N), 1/sqrt(N)) with PyTorch shapes, seeded', (cell) => {
    const D = 28,
      N = 64,
      C = 10,
      G = cell === 'gru' ? 3 : 4;
    const w = initGatedWeights(cell, D, N, C, 7);
    const bound = 1 / Math.sqrt(N);
    expect(w.weight_ih_l0.shape).toEqual([G * N, D]);
    expect(w.weight_hh_l0.shape).toEqual([G * N, N]);
    expect(w.bias_ih_l0.shape).toEqual([G * N]);
    expect(w['fc.weight'].shape).toEqual([C, N]);
    for (const n of RNN_TENSOR_NAMES) {
      const d = w[n].data;
      expect(d.length).toBe(w[n].shape.reduce((a, b) => a * b, 1));
      let mean = 0,
        sq = 0;
      for (const v of d) {
        expect(Math.abs(v)).toBeLessThanOrEqual(bound);
        mean += v;
        sq += v * v;
      }
      mean /= d.length;
      // A uniform on [-a, a] has variance a^2 / 3; 5 standard errors of the sample mean / variance.
      expect(Math.abs(mean)).toBeLessThan((5 * bound) / Math.sqrt(3 * d.length));
      if (d.length >= 1000)
        expect(Math.abs(sq / d.length - (bound * bound) / 3)).toBeLessThan((5 * bound * bound * 0.3) / Math.sqrt(d.length));
    }
    expect(Array.from(initGatedWeights(cell, D, N, C, 7).weight_hh_l0.data)).toEqual(Array.from(w.weight_hh_l0.data));
    expect(Array.from(initGatedWeights(cell, D, N, C, 8).weight_hh_l0.data)).not.toEqual(Array.from(w.weight_hh_l0.data));
    // A bias-free model starts with zero biases; the weights are the same draws.
    const nb = initRnnWeights({ cell, inputSize: D, hiddenSize: N, numClasses: C, init: 'xavier', gain: 1, seed: 7, bias: false });
    expect(nb.bias_ih_l0.data.every((v) => v === 0)).toBe(true);
    expect(Array.from(nb.weight_hh_l0.data)).toEqual(Array.from(w.weight_hh_l0.data));
  });
});

describe('gated cells learn real digits (FastRnn, the quick preset: row-wise, N = 32, Adam 0.005, clip 5)', () => {
  it.each(['gru', 'lstm'] as const)(
    '%s: 150 steps of 64 -> test accuracy > 0.5 (chance 0.1)',
    async (cell) => {
      const ds = await loadMnistAsset(readFileSync('public/data/mnist-10k.bin'));
      const spec = sequenceSpec('row', null);
      const m = new FastRnn(
        { cell, inputSize: 28, hiddenSize: 32, seed: 3, optimizer: 'adam', lr: 0.005, clip: 5 },
        await createWasmTrainingKernels(WASM_BYTES),
      );
      const rng = createRng(4);
      const nTrain = ds.train.labels.length,
        B = 64;
      const idx = new Int32Array(B),
        y = new Int32Array(B);
      const x = new Float32Array(B * 28 * 28);
      const testIdx = Int32Array.from({ length: 500 }, (_, i) => i);
      const xTest = encodeImages(ds.test.images, testIdx, spec);
      const yTest = Int32Array.from(testIdx, (i) => ds.test.labels[i]);
      const before = m.evaluate(xTest, yTest, 500);
      for (let step = 0; step < 150; step++) {
        for (let b = 0; b < B; b++) {
          idx[b] = rng.int(nTrain);
          y[b] = ds.train.labels[idx[b]];
        }
        encodeImages(ds.train.images, idx, spec, x);
        m.trainStep(x, y, B);
      }
      const after = m.evaluate(xTest, yTest, 500);
      console.log(
        `[gated learn] ${cell}: test acc ${before.acc} -> ${after.acc}, loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}`,
      );
      expect(before.acc).toBeLessThan(0.3);
      expect(after.acc).toBeGreaterThan(0.5);
      expect(after.loss).toBeLessThan(before.loss - 0.5);
    },
    120_000,
  );
});

describe('a gated run as a bundle (headless, the fast engine the browser uses)', () => {
  it('quick-lstm: trains, analyses (alignment included), writes a bundle that parses back with LSTM weights; a cell/arch mismatch is refused by field', async () => {
    expect(await useWasmAnalysisKernels()).toBe('wasm-simd');
    const { config, issues } = configFromHash('#preset=quick-lstm&epochs=1&subset=0.02&seed=7&probes=4');
    expect(issues).toEqual([]);
    expect(config.cell).toBe('lstm');
    const { kernels, engine } = await loadFastKernels();
    const r = await runHeadless({
      config,
      dataset: await loadBundledDigits(),
      kernels,
      engine,
      appVersion: '0.1.0',
      created: '2026-01-01T00:00:00.000Z',
    });
    expect(r.outcome).toBe('done');
    const text = serializeRunBundle(r.bundle);
    const back = parseRunBundle(text);
    expect(back.config.cell).toBe('lstm');
    const w = back.weights as unknown as { arch: string; hidden_size: number; tensors: { weight_hh_l0: { shape: number[] } } };
    expect(w.arch).toBe('lstm');
    expect(w.tensors.weight_hh_l0.shape).toEqual([4 * 32, 32]);
    expect(back.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    for (const e of back.epochs) expect(e.alignment?.paperStd.every(Number.isFinite)).toBe(true);
    // The same bundle claiming a vanilla RNN run: its LSTM weights are refused, naming the field.
    const wrong = JSON.parse(text);
    wrong.config.cell = 'rnn';
    expect(() => parseRunBundle(JSON.stringify(wrong))).toThrowError(FormatError);
    expect(() => parseRunBundle(JSON.stringify(wrong))).toThrowError(/weights\.arch: expected "rnn" \(config\.cell\), got "lstm"/);
  }, 120_000);
});

describe('the cell key', () => {
  it('drives the URL both ways, defaults to rnn (also for configs written before it existed), and names itself when invalid', () => {
    const { config, issues } = configFromHash('#preset=quick&cell=lstm&epochs=1');
    expect(issues).toEqual([]);
    expect(config.cell).toBe('lstm');
    expect(configToHash(config)).toContain('cell=lstm');
    expect(configFromHash(configToHash(config)).config).toEqual(config);
    expect(configFromHash('#preset=quick').config.cell).toBe('rnn');
    expect(configToHash(PRESET_CONFIGS.quick)).not.toContain('cell=');
    expect(PRESET_CONFIGS['quick-gru']).toEqual({ ...PRESET_CONFIGS.quick, preset: 'quick-gru', cell: 'gru' });
    expect(configToHash(PRESET_CONFIGS['quick-lstm'])).toBe('#preset=quick-lstm');
    const bad = configFromHash('#preset=quick&cell=elman');
    expect(bad.config.cell).toBe('rnn');
    expect(bad.issues.map((i) => i.key)).toEqual(['cell']);
    const { cell: _omit, ...old } = PRESET_CONFIGS.quick;
    expect(validateConfig(old).config?.cell).toBe('rnn');
  });

  it('ftle-lab run --cell gru parses into a gated config', () => {
    const args = parseRunArgs(['--preset', 'quick', '--cell', 'gru', '--epochs', '1', '--out', 'run.json']);
    expect(args.config.cell).toBe('gru');
    expect(parseRunArgs(['--preset', 'quick-lstm', '--out', 'run.json']).config.cell).toBe('lstm');
  });
});
