/**
 * Benchmark bodies shared by the Node bench (scripts/bench-node.mjs) and the in-browser bench page
 * (bench.html -> src/bench/main.ts): time training steps of the tfjs RnnModel on the current tfjs
 * backend and of the FastRnn engine, on the same synthetic batch, and the QR iteration of the
 * Lyapunov analysis. Rows follow the `npm run bench` format of automation.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RnnModel } from '../model/rnn';
import { FastRnn } from '../model/fast/engine';
import { FusedWebglRnn } from '../model/fused/webgl/engine';
import type { FastKernels } from '../model/fast/kernels';
import { initRnnWeights, RNN_TENSOR_NAMES } from '../model/init';
import { createCell } from '../core/dynamics/cells';
import { probeLyapunov } from '../core/dynamics/lyapunov';
import type { ModelWeights } from '../core/formats/model';
import { createRng } from '../core/rng';
import { getAnalysisKernels } from '../core/kernels';
import { summarize, syntheticBatch, type TrainConfig } from './benchCommon';

export { summarize, syntheticBatch, type TrainConfig };

/** One training configuration: T steps of D inputs, N hidden units, batch B. */

/** A row of the bench output (automation.md), training phase. */
export interface TrainRow extends TrainConfig {
  phase: 'train';
  backend: string;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  samples_per_s: number;
  peak_tensors: number;
  reps: number;
  env: string;
  /** GPU engines only: WebGL draw calls per training step. */
  draws_per_step?: number;
  /** GPU engines only: MB (10^6 bytes) of textures and buffers the engine holds. */
  gpu_mb?: number;
  /** GPU engines only: the renderer (WebGL) or adapter (WebGPU) string. */
  gpu?: string;
}

/** A row of the bench output, analysis phase (QR iteration over a probe set). */
export interface AnalysisRow {
  phase: 'analysis';
  what: 'qr';
  /** Which float64 kernels ran: 'js' (pure TypeScript) or 'wasm-simd'. */
  kernels: string;
  T: number;
  N: number;
  k: number;
  probes: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  reps: number;
  env: string;
}

/** The standard configurations of the Speed issue: T = 28 (row-wise), 196, 784 (pixel-wise) x N = 64, 128, batch 64. */
export const TRAIN_CONFIGS: TrainConfig[] = [28, 196, 784].flatMap((T) => [64, 128].map((N) => ({ T, D: T === 28 ? 28 : 1, N, B: 64 })));

/** Repetitions (timed, after `warmup` untimed) chosen so the whole bench stays within minutes. */
export function repsFor(T: number, slow: boolean): { warmup: number; reps: number } {
  if (T >= 784) return { warmup: 1, reps: slow ? 2 : 4 };
  if (T >= 196) return { warmup: 1, reps: slow ? 3 : 6 };
  return { warmup: 2, reps: slow ? 5 : 12 };
}

const now = () => performance.now();

/**
 * Times Adam training steps of the tfjs RnnModel on the active tfjs backend (set it first). Each
 * timed step includes reading the loss back (what the training loop pays). peak_tensors is the
 * largest tf.memory().numTensors seen after a step (constant when nothing leaks).
 */
export async function benchTfjsTrain(c: TrainConfig, warmup: number, reps: number, env: string): Promise<TrainRow> {
  const model = new RnnModel({ inputSize: c.D, hiddenSize: c.N, seed: 1, optimizer: 'adam', lr: 1e-3 });
  const { x, y } = syntheticBatch(c);
  const xt = tf.tensor3d(x, [c.B, c.T, c.D]);
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = now();
    const r = model.trainStepWithStats(xt, y);
    await Promise.all([r.loss.data(), r.correct.data()]);
    tf.dispose([r.loss, r.correct]);
    const ms = now() - t0;
    if (i >= warmup) times.push(ms);
    peak = Math.max(peak, tf.memory().numTensors);
  }
  xt.dispose();
  model.dispose();
  const s = summarize(times);
  return { phase: 'train', backend: `tfjs-${tf.getBackend()}`, ...c, ...s, samples_per_s: Math.round((c.B * 1000) / s.median_ms), peak_tensors: peak, reps, env };
}

/** Times Adam training steps of the FastRnn engine with the given kernels (no tensors at all). */
export function benchFastTrain(c: TrainConfig, kernels: FastKernels, warmup: number, reps: number, env: string): TrainRow {
  const model = new FastRnn({ inputSize: c.D, hiddenSize: c.N, seed: 1, optimizer: 'adam', lr: 1e-3 }, kernels);
  const { x, y } = syntheticBatch(c);
  const times: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = now();
    model.trainStep(x, y, c.B);
    const ms = now() - t0;
    if (i >= warmup) times.push(ms);
  }
  model.dispose();
  const s = summarize(times);
  return { phase: 'train', backend: `fast-${kernels.kind}`, ...c, ...s, samples_per_s: Math.round((c.B * 1000) / s.median_ms), peak_tensors: 0, reps, env };
}

/**
 * Times Adam training steps of the fused-webgl engine (its own WebGL2 context; browser only). Each
 * timed step ends when its loss is back on the CPU; warm-up steps absorb shader compilation and
 * first-use costs. Reports draw calls per step and the GPU memory the engine holds.
 */
export async function benchFusedWebglTrain(c: TrainConfig, warmup: number, reps: number, env: string): Promise<TrainRow> {
  const model = await FusedWebglRnn.create({ inputSize: c.D, hiddenSize: c.N, seed: 1, optimizer: 'adam', lr: 1e-3 });
  try {
    const { x, y } = syntheticBatch(c);
    const times: number[] = [];
    for (let i = 0; i < warmup + reps; i++) {
      const t0 = now();
      await model.trainStep(x, y, c.B);
      const ms = now() - t0;
      if (i >= warmup) times.push(ms);
    }
    // Drain the queued update of the last step before the next row starts.
    await model.getWeights();
    const s = summarize(times);
    return {
      phase: 'train', backend: 'fused-webgl', ...c, ...s, samples_per_s: Math.round((c.B * 1000) / s.median_ms), peak_tensors: 0, reps, env,
      draws_per_step: model.drawsPerStep, gpu_mb: Math.round(model.gpuBytes / 1e4) / 100, gpu: model.renderer,
    };
  } finally {
    model.dispose();
  }
}

/**
 * Times the analysis phase: trajectory + QR iteration with k vectors (float64, method.md §2) for
 * `probes` pixel-wise sequences of length T through a seeded N-unit RNN (orthogonal W_hh, gain 1,
 * near the edge of chaos where the analysis is interesting).
 */
export function benchAnalysis(T: number, N: number, k: number, probes: number, reps: number, env: string): AnalysisRow {
  const D = 1;
  const w = initRnnWeights({ inputSize: D, hiddenSize: N, numClasses: 10, init: 'orthogonal', gain: 1, seed: 2 });
  const tensors = {} as ModelWeights['tensors'];
  for (const n of RNN_TENSOR_NAMES) tensors[n] = Float64Array.from(w[n].data);
  const cell = createCell({ arch: 'rnn', inputSize: D, hiddenSize: N, numClasses: 10, tensors });
  const rng = createRng(3);
  const inputs = Float64Array.from({ length: probes * T * D }, () => rng.next());
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    probeLyapunov(cell, { B: probes, T, inputs }, { k });
    times.push(now() - t0);
  }
  return { phase: 'analysis', what: 'qr', kernels: getAnalysisKernels().kind, T, N, k, probes, ...summarize(times), reps, env };
}
