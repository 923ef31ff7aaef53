/**
 * One epoch's analysis, exactly as the app shows it: the dynamics (ln R, spectrum, saturation,
 * Q/R-vs-BPTT check, alignment with controls) and the flip test (rankings vs random, statistics,
 * single-step map, Fig 4) on the fixed probe set, from float64 weights. Pure TypeScript: the
 * analysis worker runs it in the browser, tests run it in Node, and `npx ftle-lab analyze` uses
 * the same pieces — a number on screen can always be reproduced from an exported model.
 */
import type { ModelWeights } from '../formats/model';
import type { RecurrentFlipEvaluator } from '../sensitivity';
import { dynamicsAnalysis, dynamicsPart, flipPart, mergeEpoch, planEpoch, planFlip, progressMerger } from './epochParts';

export type { AnalysisPhase, AnalysisProgress, EpochAnalysis, EpochAnalysisOptions } from './types';
import type { EpochAnalysis, EpochAnalysisOptions } from './types';

export { DEFAULT_ANALYSIS_BUDGET_MACS } from './epochParts';

/**
 * Analyses weights on probe inputs [B*T*D] with labels [B] (h0 = 0). The flip test is the CLI's
 * (runFlipAnalysis with ANALYSIS_DEFAULTS: the paper's k values capped by T), with the draws
 * reduced to the work budget; Fig 4 uses k = 10 (or the largest k below it). Shapes of the
 * result: see EpochSnapshot. This is the single-worker composition of epochParts.ts's stages
 * (one part holding every probe); the worker pool runs the same stages split over probes and
 * gets the same numbers bit for bit.
 */
export function analyzeEpoch(
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  T: number,
  D: number,
  opts: EpochAnalysisOptions,
): EpochAnalysis {
  const B = labels.length;
  const plan = planEpoch(weights, B, T, D, opts);
  const report = opts.onProgress ? progressMerger(plan, opts.onProgress)('all') : undefined;
  let ev: RecurrentFlipEvaluator | undefined;
  const dyn = dynamicsPart(weights, inputs, labels, plan, 0, B, report, (e) => (ev = e));
  const fp = planFlip(weights, inputs, labels, plan, [dyn]);
  opts.onDynamics?.(dynamicsAnalysis(fp));
  const flip = flipPart(weights, inputs, labels, fp, 0, B, report, ev);
  return mergeEpoch(weights, inputs, labels, fp, [flip]);
}
