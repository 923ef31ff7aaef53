/**
 * Turns an 'analyze' request (PyTorch-named float32/float64 tensors, probe inputs) into the
 * float64 ModelWeights and inputs src/core analyses: one conversion for the single worker, the
 * pool's stages and its planner, so every one of them sees the same float64 numbers.
 */
import type { ModelWeights } from '../core/formats/model';
import { modelWeightsFromNamed } from '../core/formats/namedWeights';
import type { EpochAnalysisOptions } from '../core/analysis/epochSnapshot';
import type { AnalyzeRequest } from './protocol';

/** Float64 weights of a request (shapes: PyTorch layout, see formats/model.ts). */
export function requestWeights(req: AnalyzeRequest): ModelWeights {
  return modelWeightsFromNamed(req.arch, req.weights);
}

/** The request's analysis options (k, n, draws, seed from its run config). */
export function requestOptions(req: AnalyzeRequest): Omit<EpochAnalysisOptions, 'onProgress'> {
  return { k: req.config.k, n: req.config.n, draws: req.config.draws, seed: req.config.seed };
}
