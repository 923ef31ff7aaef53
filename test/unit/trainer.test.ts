/**
 * The engine-agnostic epoch loop of the training worker (src/model/trainer.ts) with both engines:
 * tfjs (cpu backend here) and the hand-written fast engine (WASM SIMD kernels, as in the browser).
 * Same seed -> same initial weights -> the same first-batch loss; both learn real digits; the tfjs
 * engine leaks no tensor across epochs.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnistAsset, type MnistDataset } from '../../src/data/mnistAsset';
import { sequenceSpec } from '../../src/data/encodings';
import { evaluateSplitWith, fastTrainer, tfjsTrainer, trainEpochWith, type Trainer } from '../../src/model/trainer';
import { createWasmTrainingKernels } from '../../src/model/fast/wasmKernels';
import type { RnnModelOptions } from '../../src/model/rnn';

let ds: MnistDataset;
const spec = sequenceSpec('row', null);
const opts: RnnModelOptions = { inputSize: 28, hiddenSize: 32, seed: 7, optimizer: 'adam', lr: 0.005, clip: 5 };

beforeAll(async () => {
  await tf.setBackend('cpu');
  ds = await loadMnistAsset(readFileSync('public/data/mnist-10k.bin'));
});

async function firstBatchLosses(t: Trainer): Promise<number[]> {
  const losses: number[] = [];
  await trainEpochWith(t, ds.train, spec, { batchSize: 64, seed: 3, epoch: 1, subset: 0.024, onBatch: (b) => losses.push(b.loss) });
  return losses;
}

describe('trainEpochWith', () => {
  it('tfjs and fast engines start from the same weights and take the same first steps', async () => {
    const kernels = await createWasmTrainingKernels(readFileSync('public/kernels/fast_rnn.wasm'));
    const a = tfjsTrainer(opts);
    const b = fastTrainer(opts, kernels);
    const la = await firstBatchLosses(a);
    const lb = await firstBatchLosses(b);
    expect(la.length).toBe(3);
    for (let i = 0; i < la.length; i++) expect(Math.abs(la[i] - lb[i])).toBeLessThan(1e-4 * Math.max(1, la[i]));
    a.dispose();
    b.dispose();
  });

  it('the fast engine learns real digits in one epoch', async () => {
    const kernels = await createWasmTrainingKernels(readFileSync('public/kernels/fast_rnn.wasm'));
    const t = fastTrainer(opts, kernels);
    const before = await evaluateSplitWith(t, ds.test, spec);
    const r = await trainEpochWith(t, ds.train, spec, { batchSize: 64, seed: 1, epoch: 1 });
    const after = await evaluateSplitWith(t, ds.test, spec);
    expect(r.batches).toBe(Math.ceil(8000 / 64));
    expect(after.loss).toBeLessThan(before.loss - 0.5);
    // Chance is 0.1; one epoch of the quick preset reaches ~0.6-0.75.
    expect(after.acc).toBeGreaterThan(0.55);
    t.dispose();
  });

  it('the tfjs engine keeps tf.memory().numTensors identical across epochs', async () => {
    const t = tfjsTrainer(opts);
    await trainEpochWith(t, ds.train, spec, { batchSize: 64, seed: 1, epoch: 1, subset: 0.02 });
    const n0 = tf.memory().numTensors;
    for (let e = 2; e <= 3; e++) {
      await trainEpochWith(t, ds.train, spec, { batchSize: 64, seed: 1, epoch: e, subset: 0.02 });
      await evaluateSplitWith(t, { images: ds.test.images.subarray(0, 784 * 200), labels: ds.test.labels.subarray(0, 200) }, spec, 100);
      expect(tf.memory().numTensors).toBe(n0);
    }
    t.dispose();
  });
});
