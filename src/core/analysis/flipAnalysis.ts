/**
 * The flip-test part of an analysis, assembled once for the app (epochSnapshot.ts, every epoch)
 * and the CLI (analyze.ts, `ftle-lab analyze --flip`): scores s_t(n) from ln r, exact input
 * gradients dL/dx_t for the saliency and Taylor rankings, the cached float64 flip evaluator, and
 * flipTest with ANALYSIS_DEFAULTS (analysisDefaults.ts). What differs between the two callers is explicit in their
 * options (the app shrinks the draws to a work budget; the CLI can replay a probe file's sets).
 */
import type { ModelWeights } from '../formats/model';
import { createCell } from '../dynamics/cells';
import type { AnalysisProbe } from './epochAnalysis';
import { bpttSample } from '../dynamics/gradients';
import { probeTrajectory } from '../dynamics/trajectory';
import { ANALYSIS_DEFAULTS } from './analysisDefaults';
import {
  createRecurrentFlipEvaluator,
  flipTest,
  rnnInputGradients,
  stepScoresFromLnR,
  type FlipEvaluator,
  type FlipTestResult,
  type RecurrentFlipEvaluator,
} from '../sensitivity';

export interface FlipAnalysisOptions {
  /** s_t(n) averages ln r_1..n, 1 <= n <= k (default ANALYSIS_DEFAULTS.n). */
  n?: number;
  /** k values (default ANALYSIS_DEFAULTS.kList, capped by T). */
  kList?: number[];
  /** Random sets per k (default ANALYSIS_DEFAULTS.draws). */
  draws?: number;
  /** Matched draws per probe and k (default ANALYSIS_DEFAULTS.matchedDraws). */
  matchedDraws?: number;
  seed?: number;
  /** Given random sets [K][R][k] of 0-based steps (a probe file's flip.rand_sets): replace the draws. */
  randSets?: number[][][];
  /** dL/dx_t [B][T][D] of the last-step loss when the caller already has it (else computed here). */
  inputGradients?: Float64Array;
  /** Told how many flip jobs finished (progress only; results do not depend on it). */
  onJobsDone?: (jobs: number) => void;
}

/**
 * dL/dx_t of the last-step loss for any architecture (per probe: a subset of probes gives the same rows), flat [B][T][D]: the vanilla RNN through
 * the evaluator's cached trajectories, a GRU or LSTM by exact BPTT through its cell.
 */
export function inputGradientsFor(weights: ModelWeights, probe: AnalysisProbe, ev: RecurrentFlipEvaluator): Float64Array {
  if (weights.arch === 'rnn') return rnnInputGradients(weights, ev, probe.labels);
  const { B, T, D, inputs, labels } = probe;
  const cell = createCell(weights);
  const out = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    const traj = probeTrajectory(cell, probe, b);
    const g = bpttSample(cell, inputs, b * T * D, traj, labels[b], { wantDx: true, wantGrads: false });
    out.set(g.dLdx!, b * T * D);
  }
  return out;
}

/**
 * Runs the flip test on `probe` ranked by s_t(n) from lnR (flat [B][T][k], ln per
 * step) on any FlipEvaluator (of some weights) of the same probes, given dL/dx_t [B][T][D] (saliency and Taylor
 * rankings). The jobs it asks the evaluator for depend on the scores, gradients, seed and sizes
 * only, never on the losses returned: epochParts.ts records them once and replays them in parts.
 */
export function flipTestOn(
  probe: AnalysisProbe,
  lnR: ArrayLike<number>,
  k: number,
  evaluator: FlipEvaluator,
  inputGradients: Float64Array,
  opts: Omit<FlipAnalysisOptions, 'inputGradients' | 'onJobsDone'> = {},
): FlipTestResult {
  const { B, T, D, inputs, labels } = probe;
  const n = opts.n ?? ANALYSIS_DEFAULTS.n;
  return flipTest({
    inputs,
    labels,
    B,
    T,
    D,
    scores: stepScoresFromLnR(lnR, B, T, k, n),
    n,
    inputGradients,
    kList: opts.kList ?? (opts.randSets ? undefined : [...ANALYSIS_DEFAULTS.kList]),
    R: opts.draws ?? ANALYSIS_DEFAULTS.draws,
    matchedDraws: opts.matchedDraws ?? ANALYSIS_DEFAULTS.matchedDraws,
    seed: opts.seed ?? ANALYSIS_DEFAULTS.seed,
    randSets: opts.randSets,
    evaluator,
  });
}

/**
 * Runs the flip test of `weights` on `probe` ranked by s_t(n) from lnR (flat [B][T][k], ln per
 * step). Returns the result (shapes: FlipTestResult) and the evaluator, for the app's
 * single-step map and Fig 4 softmax on the same cached trajectories.
 */
export function runFlipAnalysis(
  weights: ModelWeights,
  probe: AnalysisProbe,
  lnR: ArrayLike<number>,
  k: number,
  opts: FlipAnalysisOptions = {},
): { result: FlipTestResult; evaluator: RecurrentFlipEvaluator } {
  const { B, T, D, inputs, labels } = probe;
  const evaluator = createRecurrentFlipEvaluator(weights, inputs, labels, B, T, D, probe.h0, probe.c0);
  const inputGradients = opts.inputGradients ?? inputGradientsFor(weights, probe, evaluator);
  if (opts.onJobsDone) evaluator.onJobsDone(opts.onJobsDone);
  const result = flipTestOn(probe, lnR, k, evaluator, inputGradients, opts);
  evaluator.onJobsDone(null);
  return { result, evaluator };
}
