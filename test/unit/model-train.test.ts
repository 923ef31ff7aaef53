import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadMnistAsset, type MnistDataset } from '../../src/data/mnistAsset';
import { sequenceSpec } from '../../src/data/encodings';
import { RnnModel } from '../../src/model/rnn';
import { evaluateSplitWith, tfjsTrainer, trainEpochWith, type BatchInfo, type TrainerEpochOptions } from '../../src/model/trainer';
import type { SequenceSpec } from '../../src/data/encodings';
import type { MnistSplit } from '../../src/data/mnistAsset';

// The worker's loops (trainer.ts) with the tfjs engine, as the worker runs them.
const trainEpoch = (model: RnnModel, split: MnistSplit, spec: SequenceSpec, o: TrainerEpochOptions) =>
  trainEpochWith(tfjsTrainer(model), split, spec, o);
const evaluateSplit = (model: RnnModel, split: MnistSplit, spec: SequenceSpec, batchSize: number, indices?: ArrayLike<number>) =>
  evaluateSplitWith(tfjsTrainer(model), split, spec, batchSize, indices);

let ds: MnistDataset;
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  ds = await loadMnistAsset(readFileSync('public/data/mnist-10k.bin'));
});

describe('training on the bundled real digits', () => {
  it('row-wise N=32 Adam, 400 steps: test loss falls and accuracy is far above chance (0.1)', async () => {
    const spec = sequenceSpec('row', null);
    const model = new RnnModel({ inputSize: 28, hiddenSize: 32, seed: 1, init: 'orthogonal', optimizer: 'adam', lr: 0.003, clip: 5 });
    // A fixed 1,000-digit slice of the test split keeps evaluation quick.
    const evalIdx = Int32Array.from({ length: 1000 }, (_, i) => i);
    const before = await evaluateSplit(model, ds.test, spec, 500, evalIdx);
    expect(before.loss).toBeGreaterThan(2.0); // ~ln 10 at init
    const tensorsBefore = tf.memory().numTensors;
    const infos: BatchInfo[] = [];
    // 250 + 150 batches of 32 = 400 steps (the optimiser's slots, made on the first step, are the only new tensors).
    let slotTensors = -1;
    for (let epoch = 0; epoch < 2; epoch++) {
      const subset = epoch === 0 ? 1 : 0.6;
      const r = await trainEpoch(model, ds.train, spec, {
        batchSize: 32,
        seed: 1,
        epoch,
        subset,
        reportEvery: 50,
        onBatch: (i) => infos.push(i),
      });
      expect(r.batches).toBe(epoch === 0 ? 250 : 150);
      expect(r.samples).toBe(epoch === 0 ? 8000 : 4800);
      expect(r.aborted).toBe(false);
      if (slotTensors < 0) slotTensors = tf.memory().numTensors - tensorsBefore;
      else expect(tf.memory().numTensors - tensorsBefore).toBe(slotTensors);
    }
    const after = await evaluateSplit(model, ds.test, spec, 500, evalIdx);
    expect(after.loss).toBeLessThan(before.loss - 1);
    console.log(
      `row-wise N=32: test loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}, acc ${before.acc.toFixed(3)} -> ${after.acc.toFixed(3)}`,
    );
    expect(after.acc).toBeGreaterThan(0.6);
    expect(infos.length).toBe(5 + 3);
    expect(infos[infos.length - 1].batch).toBe(149);
    model.dispose();
  });

  it('the epoch shuffle is seeded: same seed, same losses; abort stops early', async () => {
    const spec = sequenceSpec('pixel14', null);
    const run = async (abortAfter?: number) => {
      const model = new RnnModel({ inputSize: 1, hiddenSize: 8, seed: 4, optimizer: 'rmsprop', lr: 1e-3 });
      const ctl = new AbortController();
      const losses: number[] = [];
      const r = await trainEpoch(model, ds.train, spec, {
        batchSize: 50,
        seed: 9,
        epoch: 0,
        subset: 0.025,
        signal: ctl.signal,
        onBatch: (i) => {
          losses.push(i.loss);
          if (abortAfter !== undefined && i.batch + 1 >= abortAfter) ctl.abort();
        },
      });
      model.dispose();
      return { r, losses };
    };
    const a = await run(),
      b = await run(),
      c = await run(2);
    expect(a.r.batches).toBe(4); // 200 digits / 50
    expect(b.losses).toEqual(a.losses);
    expect(c.r.aborted).toBe(true);
    expect(c.r.batches).toBe(2);
  });
});
