/**
 * One training interface over the two engines the app can train with:
 * - "tfjs": RnnModel on a tfjs backend (webgl on a GPU, or wasm/cpu), tensors in, async reads out;
 * - "fast": FastRnn, the hand-written BPTT on Float32Array with WASM SIMD (or plain JS) kernels,
 *   synchronous (it runs in the training worker, never on the UI thread).
 * Both have PyTorch semantics and the same seeded init, so a run's numbers do not depend on which
 * engine trained it beyond float32 rounding (test/unit/fast.test.ts checks the equivalence).
 * The epoch loop here is engine-agnostic: seeded shuffle, batches encoded on the fly, per-batch
 * callback, cooperative yields so the worker can receive pause messages.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodeImages, type SequenceSpec } from '../data/encodings';
import type { MnistSplit } from '../data/mnistAsset';
import type { RnnWeights, RnnTensorName } from './init';
import { RnnModel, type RnnModelOptions } from './rnn';
import { FastRnn } from './fast/engine';
import type { TrainingKernels } from './fast/kernels';
import { createRng, deriveSeed, permutation } from '../core/rng';

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

export interface Trainer {
  /** Which implementation: 'tfjs', 'fast', or a fused GPU engine's own label (informational). */
  readonly engine: string;
  readonly reduction: 'mean' | 'sum';
  /** One optimiser step on x [B*T*D] (batch-major), labels [B]; loss as reduced, before the update. */
  trainBatch(x: Float32Array, labels: Int32Array, B: number, T: number, D: number): Promise<{ loss: number; correct: number }>;
  /** Mean per-sample CE at T and accuracy on x [B*T*D]. */
  evaluate(x: Float32Array, labels: Int32Array, B: number, T: number, D: number): Promise<{ loss: number; acc: number }>;
  getWeights(): Promise<RnnWeights>;
  setWeights(w: Record<RnnTensorName, { shape: readonly number[]; data: ArrayLike<number> }>): void;
  dispose(): void;
  /**
   * GPU engines that own their context or device (fused-webgl, fused-webgpu): true once it is lost.
   * A read pending on a lost context may never settle, so the worker polls this between batches
   * and while an epoch runs (model/engines.ts trainerLost). Absent: the registry entry's own check.
   */
  isLost?(): boolean;
  /** Loses the context/device on purpose (rehearsals, tests); false when there is none. */
  loseContext?(): boolean;
  /** Threads this trainer trains on (the threaded hand-written engine); absent: 1. */
  readonly threads?: number;
  /** Bytes of GPU memory this trainer holds (weights, optimiser state, state history); bench `gpu_mb`. */
  readonly gpuBytes?: number;
  /** WebGL draw calls per training step (fused-webgl; bench `draws_per_step`). */
  readonly drawsPerStep?: number;
  /** WebGPU dispatches per training step (fused-webgpu; bench `dispatches_per_step`). */
  readonly dispatchesPerStep?: number;
}

/** tfjs RnnModel behind the Trainer interface (a new model from options, or an existing one). */
export function tfjsTrainer(o: RnnModelOptions | RnnModel): Trainer {
  const model = o instanceof RnnModel ? o : new RnnModel(o);
  return {
    engine: 'tfjs',
    reduction: model.reduction,
    async trainBatch(x, labels, B, T, D) {
      const xt = tf.tensor3d(x.subarray(0, B * T * D), [B, T, D]);
      const { loss, correct } = model.trainStepWithStats(xt, labels.subarray(0, B));
      xt.dispose();
      const [lv, cv] = await Promise.all([loss.data(), correct.data()]);
      loss.dispose();
      correct.dispose();
      return { loss: lv[0], correct: cv[0] };
    },
    async evaluate(x, labels, B, T, D) {
      const xt = tf.tensor3d(x.subarray(0, B * T * D), [B, T, D]);
      const r = await model.evaluate(xt, labels.subarray(0, B), B);
      xt.dispose();
      return r;
    },
    getWeights: () => model.getWeights(),
    setWeights: (w) => model.setWeights(w),
    dispose: () => model.dispose(),
  };
}

/** FastRnn (hand-written BPTT) behind the Trainer interface. */
export function fastTrainer(o: RnnModelOptions, kernels: TrainingKernels): Trainer {
  const model = new FastRnn(o, kernels);
  return {
    engine: 'fast',
    reduction: model.reduction,
    // FastRnn infers T from x.length: pass exactly B*T*D values (a last, smaller batch arrives in
    // a buffer sized for the full batch).
    async trainBatch(x, labels, B, T, D) {
      return model.trainStep(x.subarray(0, B * T * D), labels, B);
    },
    async evaluate(x, labels, B, T, D) {
      return model.evaluate(x.subarray(0, B * T * D), labels, B, 250);
    },
    getWeights: async () => model.getWeights(),
    setWeights: (w) => model.setWeights(w),
    dispose: () => model.dispose(),
  };
}

export interface TrainerEpochOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  subset?: number;
  /** Called every `reportEvery` batches (default 1) and on the last batch. */
  onBatch?: (info: BatchInfo) => void;
  reportEvery?: number;
  /** Awaited before every batch (pause point; may throw to abandon the epoch). */
  beforeBatch?: () => void | Promise<void>;
  signal?: AbortSignal;
}

/** One epoch of mini-batch training with any Trainer (same order and batching as model/train.ts). */
export async function trainEpochWith(
  trainer: Trainer,
  split: MnistSplit,
  spec: SequenceSpec,
  o: TrainerEpochOptions,
): Promise<EpochResult> {
  const n = split.labels.length;
  const order = epochOrder(n, o.seed, o.epoch);
  const m = Math.max(1, Math.min(n, Math.ceil((o.subset ?? 1) * n)));
  const B = o.batchSize;
  const batches = Math.ceil(m / B);
  const { T, D } = spec;
  const buffer = new Float32Array(B * T * D);
  const labels = new Int32Array(B);
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
    const r = await trainer.trainBatch(buffer, labels, size, T, D);
    const batchMeanLoss = trainer.reduction === 'sum' ? r.loss / size : r.loss;
    lossSum += batchMeanLoss * size;
    correctSum += r.correct;
    samples += size;
    done++;
    const every = Math.max(1, o.reportEvery ?? 1);
    if (o.onBatch && (b % every === every - 1 || b === batches - 1)) {
      o.onBatch({ epoch: o.epoch, batch: b, batches, loss: batchMeanLoss, acc: r.correct / size, ms: performance.now() - t0 });
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

/** Mean per-sample CE at T and accuracy on `split` (or its digits `indices`), in batches of `batchSize`. */
export async function evaluateSplitWith(
  trainer: Trainer,
  split: MnistSplit,
  spec: SequenceSpec,
  batchSize = 500,
  indices?: ArrayLike<number>,
): Promise<{ loss: number; acc: number }> {
  const total = indices ? indices.length : split.labels.length;
  const { T, D } = spec;
  const buffer = new Float32Array(batchSize * T * D);
  const labels = new Int32Array(batchSize);
  let lossSum = 0;
  let correct = 0;
  for (let startIdx = 0; startIdx < total; startIdx += batchSize) {
    const size = Math.min(batchSize, total - startIdx);
    const idx = Int32Array.from({ length: size }, (_, i) => (indices ? indices[startIdx + i] : startIdx + i));
    encodeImages(split.images, idx, spec, buffer);
    for (let i = 0; i < size; i++) labels[i] = split.labels[idx[i]];
    const r = await trainer.evaluate(buffer, labels, size, T, D);
    lossSum += r.loss * size;
    correct += r.acc * size;
    await yieldToEventLoop();
  }
  return { loss: lossSum / total, acc: correct / total };
}
