/**
 * Benchmark bodies shared by the Node bench (scripts/bench-node.mjs) and the in-browser bench page
 * (bench.html -> src/bench/main.ts): time training steps of any engine's trainer on the same
 * synthetic batch, and the QR iteration of the Lyapunov analysis. Rows follow the `npm run bench` format of automation.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RnnModelOptions } from '../model/rnn';
import type { Trainer } from '../model/trainer';
import type { EngineId } from '../core/engines';
import { swapTrainer, type EngineRegistry } from '../model/engines';
import { initRnnWeights, RNN_TENSOR_NAMES, type RnnWeights } from '../model/init';
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
  /** The engine id (core/engines.ts ENGINE_IDS); the Python rows use torch-* names. */
  backend: string;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  samples_per_s: number;
  peak_tensors: number;
  reps: number;
  /** Untimed steps before the timed ones (WARMUP_MS). */
  warmup_steps?: number;
  env: string;
  /** GPU engines: the WebGL renderer / WebGPU adapter string. */
  gpu?: string;
  /** Fused engines: GPU memory held, MiB (trainer.gpuBytes). */
  gpu_mb?: number;
  draws_per_step?: number;
  dispatches_per_step?: number;
  /** The hand-written engine on W threads (threaded.ts): the W it trained on. */
  threads?: number;
  /** Fused engines: median ms of evaluate() on the same batch (the forward pass and readout alone). */
  forward_ms?: number;
  /** fused-webgpu rows of bench.html's webgpu_tuning= variants: the knobs, as given. */
  tuning?: string;
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
 * Untimed warm-up of a training row lasts at least this long (and at least `warmup` steps, at most
 * 200): V8 runs WebAssembly first in its baseline tier and optimises hot functions later, so at
 * T = 28 or 196 two warm-up steps (~3-20 ms) left the timed steps half on baseline code (Chromium
 * fast-wasm T = 196, N = 64: median 17.2 ms against a min of 10.4). An app run trains thousands of
 * steps: the optimised code is its steady state.
 */
export const WARMUP_MS = 300;

/**
 * Times Adam training steps of one engine's trainer (built through the engine registry, so every
 * engine the app can train with, fused GPU engines included, is benched the same way). Each timed
 * step includes reading the loss back, as the training loop pays it. peak_tensors is the largest
 * tf.memory().numTensors seen after a step (constant when nothing leaks; 0 for non-tfjs engines
 * on a fresh page). `gpu`: the renderer / adapter string for GPU engines. Fused engines' own
 * counters come along: gpu_mb (trainer.gpuBytes), draws_per_step, dispatches_per_step.
 */
export async function benchTrainer(
  engine: EngineId,
  trainer: Trainer,
  c: TrainConfig,
  warmup: number,
  reps: number,
  env: string,
  gpu?: string,
): Promise<TrainRow> {
  const { x, y } = syntheticBatch(c);
  const times: number[] = [];
  let peak = 0;
  let warmupSteps = 0;
  try {
    for (const started = now(); warmupSteps < warmup || (now() - started < WARMUP_MS && warmupSteps < 200); warmupSteps++) {
      await trainer.trainBatch(x, y, c.B, c.T, c.D);
      peak = Math.max(peak, tf.memory().numTensors);
    }
    for (let i = 0; i < reps; i++) {
      const t0 = now();
      await trainer.trainBatch(x, y, c.B, c.T, c.D);
      times.push(now() - t0);
      peak = Math.max(peak, tf.memory().numTensors);
    }
    const s = summarize(times);
    // Fused engines: the forward pass alone (evaluate: forward + readout, one read-back), so a row
    // shows how a step divides between the recurrences forward and the rest.
    let forward: number | undefined;
    if (trainer.gpuBytes !== undefined) {
      const ft: number[] = [];
      for (let i = 0; i < 1 + Math.max(2, reps); i++) {
        const t0 = now();
        await trainer.evaluate(x, y, c.B, c.T, c.D);
        if (i > 0) ft.push(now() - t0);
      }
      forward = summarize(ft).median_ms;
    }
    return {
      phase: 'train',
      backend: engine,
      ...c,
      ...s,
      samples_per_s: Math.round((c.B * 1000) / s.median_ms),
      peak_tensors: peak,
      reps,
      warmup_steps: warmupSteps,
      env,
      ...(gpu !== undefined ? { gpu } : {}),
      ...(trainer.gpuBytes !== undefined ? { gpu_mb: Math.round((trainer.gpuBytes / 2 ** 20) * 100) / 100 } : {}),
      ...(trainer.drawsPerStep !== undefined ? { draws_per_step: trainer.drawsPerStep } : {}),
      ...(trainer.dispatchesPerStep !== undefined ? { dispatches_per_step: trainer.dispatchesPerStep } : {}),
      ...(forward !== undefined ? { forward_ms: forward } : {}),
    };
  } finally {
    trainer.dispose();
  }
}

/** The model options every bench row trains with: Adam lr 1e-3, seed 1, mean CE (as bench_torch.py). */
export function benchModelOptions(c: TrainConfig): RnnModelOptions {
  return { inputSize: c.D, hiddenSize: c.N, seed: 1, optimizer: 'adam', lr: 1e-3 };
}

/** The memory picture after one engine switch (engineSwitches). */
export interface SwitchRow {
  /** 1-based switch number. */
  switch: number;
  engine: EngineId;
  /** tf.memory().numTensors with this engine's trainer live. */
  numTensors: number;
  /** tf.memory().numBytesInGPU (tfjs webgl textures in use; 0 / absent elsewhere). */
  tfjsGpuBytes: number;
  /** The live trainer's own gpuBytes (fused engines), else null. */
  gpuBytes: number | null;
}

/**
 * `switches` engine switches through the registry, cycling over `ids` (each available): the old
 * trainer is disposed by swapTrainer, the new one gets the old one's weights and trains one step
 * of config `c`. Rows say what tfjs and the live trainer hold after each switch: for every engine
 * they must be the same at each visit (nothing piles up across switches). Leaves no trainer live.
 */
export async function engineSwitches(
  registry: EngineRegistry,
  ids: readonly EngineId[],
  switches: number,
  c: TrainConfig,
): Promise<SwitchRow[]> {
  const opts = benchModelOptions(c);
  const { x, y } = syntheticBatch(c);
  const rows: SwitchRow[] = [];
  let trainer: Trainer | null = null;
  try {
    for (let i = 0; i < switches; i++) {
      const id = ids[i % ids.length];
      const entry = registry[id];
      if (!entry) throw new Error(`engine ${id} is not in this build`);
      const a = await entry.available();
      if (!a.ok) throw new Error(`engine ${id} unavailable: ${a.why}`);
      const weights: RnnWeights | null = trainer ? await trainer.getWeights() : null;
      trainer = weights ? await swapTrainer(trainer, entry, opts, weights) : await entry.create(opts);
      await trainer.trainBatch(x, y, c.B, c.T, c.D);
      const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
      rows.push({
        switch: i + 1,
        engine: id,
        numTensors: m.numTensors,
        tfjsGpuBytes: m.numBytesInGPU ?? 0,
        gpuBytes: trainer.gpuBytes ?? null,
      });
    }
  } finally {
    trainer?.dispose();
  }
  return rows;
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
