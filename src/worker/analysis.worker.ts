/// <reference lib="webworker" />
/**
 * The analysis worker: float64 dynamics + flip test for one epoch at a time (src/core only, no
 * tfjs), so training never waits for it. Requests are handled in order; every epoch gets its
 * snapshot. At start-up it loads the float64 WASM SIMD kernels (kernels/analysis.wasm, served from
 * public/) and injects them into src/core; when that fails the pure-JS kernels give the same numbers,
 * only slower. A request with analysisEngine 'gpu' runs on the GPU analysis engine
 * (gpuAnalysisRun.ts), which owns this worker's WebGPU device. In a pool (analysisPool.ts) the same worker also runs single stages of
 * epochParts.ts on a probe range ('part-*' messages).
 */
import type { AnalysisPartCommand, AnalyzerCommand, AnalyzerEvent } from './protocol';
import { loadAnalysisKernels } from './analysisKernelsLoader';
import { runPart, runWhole } from './analysisPart';
import { loseGpuAtNextFlip, runGpuFlipPart, runGpuQrPart, runGpuWhole } from './gpuAnalysisRun';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: AnalyzerEvent) => ctx.postMessage(ev);

/** Resolves once the kernels are chosen (WASM SIMD when it loads, else the pure-JS default). */
const kernelsReady: Promise<void> = loadAnalysisKernels('analysis worker');

/** GPU epochs run one after another (each awaits the device). */
let gpuQueue: Promise<void> = Promise.resolve();

ctx.onmessage = async (e: MessageEvent<AnalyzerCommand | AnalysisPartCommand>) => {
  const cmd = e.data;
  if (cmd.type === 'crash') {
    setTimeout(() => {
      throw new Error('rehearsed analysis worker crash');
    }, 0);
    return;
  }
  if (cmd.type === 'loseGpu') {
    loseGpuAtNextFlip();
    return;
  }
  if (cmd.type === 'part-flip-gpu' || cmd.type === 'part-qr-gpu') {
    gpuQueue = gpuQueue.then(async () => {
      await kernelsReady;
      if (cmd.type === 'part-qr-gpu') await runGpuQrPart(cmd, (ev) => ctx.postMessage(ev));
      else await runGpuFlipPart(cmd, (ev) => ctx.postMessage(ev));
    });
    return;
  }
  if (cmd.type !== 'analyze') {
    await kernelsReady;
    runPart(cmd, (ev) => ctx.postMessage(ev));
    return;
  }
  // Every message awaits the same promise; continuations run in arrival order, so requests stay ordered.
  await kernelsReady;
  // The pool sends 'gpu' only once it has chosen the GPU (auto resolved); a GPU epoch ends before the next request starts.
  if (cmd.analysisEngine === 'gpu') {
    gpuQueue = gpuQueue.then(() => runGpuWhole(cmd, post));
    await gpuQueue;
  } else runWhole(cmd, post);
};
