/**
 * worker_threads entry of the CLI's parallel flip evaluator (parallelFlip.ts): holds the cached
 * float64 evaluator of one probe range and answers evaluator calls restricted to it, writing the
 * outputs into shared memory and waking the main thread (which waits with Atomics.wait).
 */
import { readFileSync } from 'node:fs';
import { assetPath } from './assets';
import { parentPort, workerData } from 'node:worker_threads';
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels } from '../core/kernels/wasm';
import type { PackedJobs } from '../core/analysis/epochParts';
import type { ModelWeights } from '../core/formats/model';
import { createRecurrentFlipEvaluator, type FlipJob, type RecurrentFlipEvaluator } from '../core/sensitivity';

/** workerData of a flip thread: probes b0..b1-1 (their rows of inputs [B*T*D], labels, h0/c0 [B*N]). */
export interface FlipThreadData {
  weights: ModelWeights;
  inputs: Float64Array;
  labels: Int32Array;
  T: number;
  D: number;
  b0: number;
  b1: number;
  h0?: Float64Array;
  c0?: Float64Array;
  /** Use the WASM SIMD kernels (the main thread's choice: every thread must run the same kernels). */
  wasm: boolean;
}

/** One call: jobs (global probe indices, all in this range); outputs [M][width] into `out`, then flag = 1. */
export interface FlipThreadCall {
  kind: 'losses' | 'logits';
  jobs: PackedJobs;
  out: SharedArrayBuffer;
  flag: SharedArrayBuffer;
}

const port = parentPort!;
const data = workerData as FlipThreadData;
const N = data.weights.hiddenSize;
const nb = data.b1 - data.b0;
let ev: RecurrentFlipEvaluator | null = null;
(async () => {
  if (data.wasm) setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(assetPath('kernels/analysis.wasm'))));
  const slice = (a: Float64Array | undefined) => a?.subarray(data.b0 * N, data.b1 * N);
  ev = createRecurrentFlipEvaluator(data.weights, data.inputs, data.labels, nb, data.T, data.D, slice(data.h0), slice(data.c0));
  port.postMessage({ type: 'ready', baseLoss: ev.baseLoss, baseLogits: ev.baseLogits });
})().catch((e: Error) => port.postMessage({ type: 'error', message: e.message }));

port.on('message', (call: FlipThreadCall) => {
  const flag = new Int32Array(call.flag);
  try {
    const { probe, start, steps } = call.jobs;
    const jobs: FlipJob[] = [];
    for (let m = 0; m < probe.length; m++) jobs.push({ probe: probe[m] - data.b0, steps: steps.subarray(start[m], start[m + 1]) });
    const out = call.kind === 'losses' ? ev!.losses(jobs) : ev!.logits(jobs).logits;
    new Float64Array(call.out).set(out);
    Atomics.store(flag, 0, 1);
  } catch {
    Atomics.store(flag, 0, 2);
  }
  Atomics.notify(flag, 0);
});
