/**
 * Turns an 'analyze' request (PyTorch-named float32/float64 tensors, probe inputs) into the
 * float64 ModelWeights and inputs src/core analyses: one conversion for the single worker, the
 * pool's stages and its planner, so every one of them sees the same float64 numbers.
 */
import type { ModelWeights } from '../core/formats/model';
import { modelWeightsFromNamed } from '../core/formats/namedWeights';
import type { EpochAnalysisOptions } from '../core/analysis/epochSnapshot';
import type { AnalyzeRequest } from './protocol';
import { drawsOptions } from '../core/formats/config';

/** Float64 weights of a request (shapes: PyTorch layout, see formats/model.ts). */
export function requestWeights(req: AnalyzeRequest): ModelWeights {
  return modelWeightsFromNamed(req.arch, req.weights);
}

/**
 * The request's analysis options (k, n, draws, seed from its run config; `draws=auto` lets the CPU
 * budget cut the paper's 50); a GPU request (analysisEngine 'gpu', as the pool resolves it) has no
 * budget: the paper's full plan.
 */
export function requestOptions(req: AnalyzeRequest): Omit<EpochAnalysisOptions, 'onProgress' | 'onDynamics'> {
  const opts = { k: req.config.k, n: req.config.n, ...drawsOptions(req.config.draws), seed: req.config.seed };
  return req.analysisEngine === 'gpu' ? { ...opts, budgetMacs: Number.POSITIVE_INFINITY } : opts;
}
