/// <reference lib="webworker" />
/**
 * The analysis worker: float64 dynamics + flip test for one epoch at a time (src/core only, no
 * tfjs), so training never waits for it. Requests are handled in order; every epoch gets its
 * snapshot.
 */
import { computeEpochAnalysis } from '../core/epochSnapshot';
import type { ModelWeights, TensorName } from '../core/formats/model';
import type { AnalyzerCommand, AnalyzerEvent } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: AnalyzerEvent) => ctx.postMessage(ev);

ctx.onmessage = (e: MessageEvent<AnalyzerCommand>) => {
  const cmd = e.data;
  if (cmd.type !== 'analyze') return;
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
    const analysis = computeEpochAnalysis(weights, inputs, cmd.probe.labels, cmd.probe.T, cmd.probe.D, {
      k: cmd.config.k,
      n: cmd.config.n,
      draws: cmd.config.draws,
      seed: cmd.config.seed,
    });
    post({ type: 'analysis', runId: cmd.runId, epoch: cmd.epoch, analysisMs: performance.now() - t0, analysis });
  } catch (err) {
    post({ type: 'error', runId: cmd.runId, epoch: cmd.epoch, message: (err as Error).message ?? String(err) });
  }
};
