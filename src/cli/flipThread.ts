/**
 * worker_threads entry of the CLI's analysis threads (parallelFlip.ts): for one probe range it
 * computes analyzeModel's per-probe part (QR passes, BPTT, alignment SVDs) when asked, and holds
 * the cached float64 flip evaluator, answering evaluator calls restricted to the range by writing
 * the outputs into shared memory and waking the main thread (which waits with Atomics.wait).
 */
import { readFileSync } from 'node:fs';
import { assetPath } from './assets';
import { parentPort, workerData } from 'node:worker_threads';
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels } from '../core/kernels/wasm';
import type { PackedJobs } from '../core/analysis/epochParts';
import { analyzeModelPart, type AnalysisPart, type AnalyzeOptions } from '../core/analysis/analyze';
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

/** Options of analyzeModel's per-probe part (plain data: no evaluator, no flip). */
export type PartOptions = Pick<AnalyzeOptions, 'k' | 'logBase' | 'alignSteps' | 'seed' | 'maxCheckFloats'>;

/** Asks a thread for its range's AnalysisPart; it answers with PartReply. */
export interface PartRequest {
  type: 'part';
  opts: PartOptions;
}

export type PartReply = { type: 'part'; part: AnalysisPart } | { type: 'error'; message: string };

const port = parentPort!;
const data = workerData as FlipThreadData;
const N = data.weights.hiddenSize;
const nb = data.b1 - data.b0;
let ev: RecurrentFlipEvaluator | null = null;
const slice = (a: Float64Array | undefined) => a?.subarray(data.b0 * N, data.b1 * N);
(async () => {
  if (data.wasm) setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(assetPath('kernels/analysis.wasm'))));
  ev = createRecurrentFlipEvaluator(data.weights, data.inputs, data.labels, nb, data.T, data.D, slice(data.h0), slice(data.c0));
  port.postMessage({ type: 'ready', baseLoss: ev.baseLoss, baseLogits: ev.baseLogits });
})().catch((e: Error) => port.postMessage({ type: 'error', message: e.message }));

/** The range's part, with global probe indices b0, b1. */
function part(opts: PartOptions): AnalysisPart {
  const probe = { B: nb, T: data.T, D: data.D, inputs: data.inputs, labels: data.labels, h0: slice(data.h0), c0: slice(data.c0) };
  return { ...analyzeModelPart(data.weights, probe, 0, nb, opts), b0: data.b0, b1: data.b1 };
}

port.on('message', (call: FlipThreadCall | PartRequest) => {
  if ('type' in call) {
    try {
      port.postMessage({ type: 'part', part: part(call.opts) } satisfies PartReply);
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).message } satisfies PartReply);
    }
    return;
  }
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
