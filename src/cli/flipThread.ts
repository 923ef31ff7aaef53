/**
 * worker_threads entry of the CLI's analysis threads (parallelFlip.ts). Each thread holds the whole
 * probe set: for the dynamics it takes probes one at a time from a counter shared by every thread
 * (so a thread that runs slower simply takes fewer) and computes analyzeModel's per-probe part of
 * each; for the flip test it holds the cached float64 flip evaluator of all probes and answers the
 * evaluator calls it is given (whole blocks of flipBlocks, in call order) by writing the outputs
 * into shared memory and waking the main thread (which waits with Atomics.wait).
 */
import { readFileSync } from 'node:fs';
import { assetPath } from './assets';
import { parentPort, workerData } from 'node:worker_threads';
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels } from '../core/kernels/wasm';
import type { PackedJobs } from '../core/analysis/epochParts';
import type { AnalysisPart, AnalyzeOptions } from '../core/analysis/analyze';
import { takeProbeParts } from './probeParts';
import type { ModelWeights } from '../core/formats/model';
import { createRecurrentFlipEvaluator, type FlipJob, type RecurrentFlipEvaluator } from '../core/sensitivity';

/** workerData of an analysis thread: every probe (inputs [B*T*D], labels [B], h0/c0 [B*N]). */
export interface FlipThreadData {
  weights: ModelWeights;
  inputs: Float64Array;
  labels: Int32Array;
  B: number;
  T: number;
  D: number;
  h0?: Float64Array;
  c0?: Float64Array;
  /** Int32 [1]: the next probe whose dynamics part is still to be computed (Atomics.add by every thread). */
  nextProbe: SharedArrayBuffer;
  /** Use the WASM SIMD kernels (the main thread's choice: every thread must run the same kernels). */
  wasm: boolean;
}

/** One call: jobs (global probe indices; whole blocks of flipBlocks, in call order); outputs [M][width] into `out`, then flag = 1. */
export interface FlipThreadCall {
  kind: 'losses' | 'logits';
  jobs: PackedJobs;
  out: SharedArrayBuffer;
  flag: SharedArrayBuffer;
}

/** Options of analyzeModel's per-probe part (plain data: no evaluator, no flip). */
export type PartOptions = Pick<AnalyzeOptions, 'k' | 'logBase' | 'alignSteps' | 'seed' | 'maxCheckFloats'>;

/** Asks a thread to take probes from the shared counter until none is left; it answers with PartReply. */
export interface PartRequest {
  type: 'part';
  opts: PartOptions;
}

/** The parts (one probe each) a thread computed, or its error. */
export type PartReply = { type: 'part'; parts: AnalysisPart[] } | { type: 'error'; message: string };

const port = parentPort!;
{
  const data = workerData as FlipThreadData;
  const counter = new Int32Array(data.nextProbe);
  let ev: RecurrentFlipEvaluator | null = null;
  (async () => {
    if (data.wasm) setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(assetPath('kernels/analysis.wasm'))));
    ev = createRecurrentFlipEvaluator(data.weights, data.inputs, data.labels, data.B, data.T, data.D, data.h0, data.c0);
    port.postMessage({ type: 'ready' });
  })().catch((e: Error) => port.postMessage({ type: 'error', message: e.message }));

  port.on('message', (call: FlipThreadCall | PartRequest) => {
    if ('type' in call) {
      try {
        const probe = { B: data.B, T: data.T, D: data.D, inputs: data.inputs, labels: data.labels, h0: data.h0, c0: data.c0 };
        port.postMessage({ type: 'part', parts: takeProbeParts(data.weights, probe, counter, call.opts) } satisfies PartReply);
      } catch (e) {
        port.postMessage({ type: 'error', message: (e as Error).message } satisfies PartReply);
      }
      return;
    }
    const flag = new Int32Array(call.flag);
    try {
      const { probe, start, steps } = call.jobs;
      const jobs: FlipJob[] = [];
      for (let m = 0; m < probe.length; m++) jobs.push({ probe: probe[m], steps: steps.subarray(start[m], start[m + 1]) });
      const out = call.kind === 'losses' ? ev!.losses(jobs) : ev!.logits(jobs).logits;
      new Float64Array(call.out).set(out);
      Atomics.store(flag, 0, 1);
    } catch {
      Atomics.store(flag, 0, 2);
    }
    Atomics.notify(flag, 0);
  });
}
