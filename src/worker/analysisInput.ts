/**
 * Turns an 'analyze' request (PyTorch-named float32/float64 tensors, probe inputs) into the
 * float64 ModelWeights and inputs src/core analyses: one conversion for the single worker, the
 * pool's stages and its planner, so every one of them sees the same float64 numbers.
 */
import type { ModelWeights, TensorName } from '../core/formats/model';
import type { EpochAnalysisOptions } from '../core/epochSnapshot';
import type { AnalyzeRequest } from './protocol';

/** Float64 weights of a request (shapes: PyTorch layout, see formats/model.ts). */
export function requestWeights(req: AnalyzeRequest): ModelWeights {
  const tensors = {} as Record<TensorName, Float64Array>;
  for (const [name, t] of Object.entries(req.weights)) tensors[name as TensorName] = Float64Array.from(t.data);
  return {
    arch: req.arch,
    inputSize: req.weights.weight_ih_l0.shape[1],
    hiddenSize: req.weights.weight_hh_l0.shape[1],
    numClasses: req.weights['fc.weight'].shape[0],
    tensors,
  };
}

/** The request's analysis options (k, n, draws, seed from its run config). */
export function requestOptions(req: AnalyzeRequest): Omit<EpochAnalysisOptions, 'onProgress'> {
  return { k: req.config.k, n: req.config.n, draws: req.config.draws, seed: req.config.seed };
}
