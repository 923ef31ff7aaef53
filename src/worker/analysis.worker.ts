/// <reference lib="webworker" />
/**
 * The analysis worker: float64 dynamics + flip test for one epoch at a time (src/core only, no
 * tfjs), so training never waits for it. Requests are handled in order; every epoch gets its
 * snapshot. At start-up it loads the float64 WASM SIMD kernels (kernels/analysis.wasm, served from
 * public/) and injects them into src/core; when that fails the pure-JS kernels give the same numbers,
 * only slower.
 */
import { computeEpochAnalysis } from '../core/epochSnapshot';
import { scoreModel } from '../core/evaluate';
import { setMatKernels } from '../core/kernels';
import { createWasmMatKernels, wasmSimdAvailable } from '../core/kernels/wasm';
import type { ModelWeights, TensorName } from '../core/formats/model';
import type { AnalyzerCommand, AnalyzerEvent } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: AnalyzerEvent) => ctx.postMessage(ev);

/**
 * URL of analysis.wasm: the dev server serves public/ at BASE_URL ('/'); the relative-base build
 * ('./') puts this worker in assets/ and public/ files one folder up.
 */
function kernelUrl(): string {
  const base = import.meta.env.BASE_URL;
  return base.startsWith('/') ? new URL(`${base}kernels/analysis.wasm`, self.location.origin).href : new URL('../kernels/analysis.wasm', self.location.href).href;
}

/** Resolves once the kernels are chosen (WASM SIMD when it loads, else the pure-JS default). */
const kernelsReady: Promise<void> = (async () => {
  if (!wasmSimdAvailable()) return;
  try {
    const res = await fetch(kernelUrl());
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    setMatKernels(await createWasmMatKernels(await res.arrayBuffer()));
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
    const tensors = {} as Record<TensorName, Float64Array>;
    for (const [name, t] of Object.entries(cmd.weights)) tensors[name as TensorName] = Float64Array.from(t.data);
    const N = cmd.weights.weight_hh_l0.shape[1];
    const weights: ModelWeights = {
      arch: cmd.arch,
      inputSize: cmd.weights.weight_ih_l0.shape[1],
      hiddenSize: N,
      numClasses: cmd.weights['fc.weight'].shape[0],
      tensors,
    };
    const inputs = Float64Array.from(cmd.probe.inputs);
    // Progress goes out at most every 100 ms, and at each new phase (a big model's epoch takes minutes).
    let lastPost = -Infinity;
    let lastPhase = '';
    const analysis = computeEpochAnalysis(weights, inputs, cmd.probe.labels, cmd.probe.T, cmd.probe.D, {
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
    post({ type: 'analysis', runId: cmd.runId, epoch: cmd.epoch, analysisMs: performance.now() - t0, analysis, ...(evaluation ? { evaluation } : {}) });
  } catch (err) {
    post({ type: 'error', runId: cmd.runId, epoch: cmd.epoch, message: (err as Error).message ?? String(err) });
  }
};

