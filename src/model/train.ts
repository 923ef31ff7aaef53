/**
 * Training and evaluation loops over a MNIST split, encoding mini-batches on the fly
 * (src/data/encodings) so only one batch of sequences exists at a time.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, permutation } from '../core/rng';
import { encodeImages, type SequenceSpec } from '../data/encodings';
import type { MnistSplit } from '../data/mnistAsset';
import type { RnnModel } from './rnn';

/**
 * Gives the event loop a turn (so a worker can receive "pause" messages between batches):
 * a MessageChannel round trip where available (no 4 ms clamping like nested setTimeout), else setTimeout 0.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Progress of one training batch. `loss` is the batch's mean per-sample CE (whatever the reduction). */
export interface BatchInfo {
  epoch: number;
  /** 0-based batch index in the epoch. */
  batch: number;
  batches: number;
  loss: number;
  /** Accuracy of the batch (before the update). */
  acc: number;
  /** Milliseconds for this batch (encode + step + read-back). */
  ms: number;
}

export interface TrainEpochOptions {
  batchSize: number;
  /** Run seed: the epoch's shuffle uses deriveSeed(seed, `shuffle:${epoch}`). */
  seed: number;
  epoch: number;
  /** Fraction of the split used this epoch (the first ceil(subset*n) digits of the shuffled order). */
  subset?: number;
  /** Called every `reportEvery` batches and on the last batch. */
  onBatch?: (info: BatchInfo) => void;
  reportEvery?: number;
  /** Awaited before every batch: a worker can block here while paused. */
  beforeBatch?: () => void | Promise<void>;
  /** Aborting stops the epoch after the current batch; the result says `aborted`. */
  signal?: AbortSignal;
}

export interface EpochResult {
  /** Mean per-sample training CE over the batches run (each measured before its update). */
  loss: number;
  acc: number;
  batches: number;
  samples: number;
  ms: number;
  aborted: boolean;
}

/** The training order of an epoch: a seeded permutation of 0..n-1, Int32Array [n]. */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, createRng(deriveSeed(seed, `shuffle:${epoch}`)));
}

/**
 * One epoch of mini-batch training on `split` encoded with `spec`. The last partial batch is
 * kept. Yields to the event loop after every batch. Returns the epoch's running loss/accuracy.
 */
export async function trainEpoch(model: RnnModel, split: MnistSplit, spec: SequenceSpec, o: TrainEpochOptions): Promise<EpochResult> {
  const n = split.labels.length;
  const order = epochOrder(n, o.seed, o.epoch);
  const m = Math.max(1, Math.min(n, Math.ceil((o.subset ?? 1) * n)));
  const B = o.batchSize;
  const batches = Math.ceil(m / B);
  const { T, D } = spec;
  const buffer = new Float32Array(B * T * D);
  const labels = new Int32Array(B);
  const reportEvery = Math.max(1, o.reportEvery ?? 1);
  const start = performance.now();
  let lossSum = 0;
  let correctSum = 0;
  let samples = 0;
  let done = 0;
  let aborted = false;
  for (let b = 0; b < batches; b++) {
    if (o.signal?.aborted) {
      aborted = true;
      break;
    }
    await o.beforeBatch?.();
    const t0 = performance.now();
    const idx = order.subarray(b * B, Math.min(m, (b + 1) * B));
    const size = idx.length;
    encodeImages(split.images, idx, spec, buffer);
    for (let i = 0; i < size; i++) labels[i] = split.labels[idx[i]];
    const x = tf.tensor3d(buffer.subarray(0, size * T * D), [size, T, D]);
    const { loss, correct } = model.trainStepWithStats(x, labels.subarray(0, size));
    x.dispose();
    const [lv, cv] = await Promise.all([loss.data(), correct.data()]);
    loss.dispose();
    correct.dispose();
    const batchMeanLoss = model.reduction === 'sum' ? lv[0] / size : lv[0];
    lossSum += batchMeanLoss * size;
    correctSum += cv[0];
    samples += size;
    done++;
    if (o.onBatch && (b % reportEvery === reportEvery - 1 || b === batches - 1)) {
      o.onBatch({ epoch: o.epoch, batch: b, batches, loss: batchMeanLoss, acc: cv[0] / size, ms: performance.now() - t0 });
    }
    await yieldToEventLoop();
  }
  return {
    loss: samples ? lossSum / samples : NaN,
    acc: samples ? correctSum / samples : NaN,
    batches: done,
    samples,
    ms: performance.now() - start,
    aborted,
  };
}

/**
 * Mean per-sample CE (at the last step) and accuracy on `split` (or its digits `indices`),
 * encoded in batches of `batchSize`.
 */
export async function evaluateSplit(
  model: RnnModel,
  split: MnistSplit,
  spec: SequenceSpec,
  batchSize = 500,
  indices?: ArrayLike<number>,
): Promise<{ loss: number; acc: number }> {
  const all = indices ?? Int32Array.from({ length: split.labels.length }, (_, i) => i);
  const total = all.length;
  const { T, D } = spec;
  const buffer = new Float32Array(batchSize * T * D);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < total; start += batchSize) {
    const size = Math.min(batchSize, total - start);
    const idx = Int32Array.from({ length: size }, (_, i) => all[start + i]);
    encodeImages(split.images, idx, spec, buffer);
    const y = Int32Array.from(idx, (i) => split.labels[i]);
    const x = tf.tensor3d(buffer.subarray(0, size * T * D), [size, T, D]);
    const r = await model.evaluate(x, y, size);
    x.dispose();
    lossSum += r.loss * size;
    correct += r.acc * size;
    await yieldToEventLoop();
  }
  return { loss: lossSum / total, acc: correct / total };
}
