/// <reference lib="webworker" />
/**
 * The analysis worker: float64 dynamics + flip test for one epoch at a time (src/core only, no
 * tfjs), so training never waits for it. Requests are handled in order; every epoch gets its
 * snapshot. At start-up it loads the float64 WASM SIMD kernels (kernels/analysis.wasm, served from
 * public/) and injects them into src/core; when that fails the pure-JS kernels give the same numbers,
 * only slower.
 */
import { analyzeEpoch } from '../core/epochSnapshot';
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../core/kernels/wasm';
import { modelWeightsFromNamed } from '../core/formats/namedWeights';
import { scoreModel } from '../core/evaluate';
import type { AnalyzerCommand, AnalyzerEvent } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: AnalyzerEvent) => ctx.postMessage(ev);

/**
 * URL of analysis.wasm: the dev server serves public/ at BASE_URL ('/'); the relative-base build
 * ('./') puts this worker in assets/ and public/ files one folder up.
 */
function kernelUrl(): string {
  const base = import.meta.env.BASE_URL;
  return base.startsWith('/')
    ? new URL(`${base}kernels/analysis.wasm`, self.location.origin).href
    : new URL('../kernels/analysis.wasm', self.location.href).href;
}

/** Resolves once the kernels are chosen (WASM SIMD when it loads, else the pure-JS default). */
const kernelsReady: Promise<void> = (async () => {
  if (!wasmSimdAvailable()) return;
  try {
    const res = await fetch(kernelUrl());
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    setAnalysisKernels(await createWasmAnalysisKernels(await res.arrayBuffer()));
  } catch (err) {
    console.warn(`analysis worker: WASM kernels unavailable, using JS (${(err as Error).message})`);
  }
})();

ctx.onmessage = async (e: MessageEvent<AnalyzerCommand>) => {
  const cmd = e.data;
  if (cmd.type === 'crash') {
    setTimeout(() => {
      throw new Error('rehearsed analysis worker crash');
    }, 0);
    return;
  }
  if (cmd.type !== 'analyze') return;
  // Every message awaits the same promise; continuations run in arrival order, so requests stay ordered.
  await kernelsReady;
  const t0 = performance.now();
  try {
    const weights = modelWeightsFromNamed(cmd.arch, cmd.weights);
    const inputs = Float64Array.from(cmd.probe.inputs);
    // Progress goes out at most every 100 ms, and at each new phase (a big model's epoch takes minutes).
    let lastPost = -Infinity;
    let lastPhase = '';
    const analysis = analyzeEpoch(weights, inputs, cmd.probe.labels, cmd.probe.T, cmd.probe.D, {
      k: cmd.config.k,
      n: cmd.config.n,
      draws: cmd.config.draws,
      seed: cmd.config.seed,
      onProgress: ({ phase, fraction }) => {
        const now = performance.now();
        if (phase === lastPhase && now - lastPost < 100) return;
        lastPost = now;
        lastPhase = phase;
        post({ type: 'progress', runId: cmd.runId, epoch: cmd.epoch, phase, fraction });
      },
    });
    const evaluation = cmd.evaluate ? scoreModel(weights, cmd.evaluate.inputs, cmd.evaluate.labels, cmd.probe.T, cmd.probe.D) : undefined;
    post({
      type: 'analysis',
      runId: cmd.runId,
      epoch: cmd.epoch,
      analysisMs: performance.now() - t0,
      analysis,
      ...(evaluation ? { evaluation } : {}),
    });
  } catch (err) {
    post({ type: 'error', runId: cmd.runId, epoch: cmd.epoch, message: (err as Error).message ?? String(err) });
  }
};
