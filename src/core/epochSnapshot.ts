/**
 * One epoch's analysis, exactly as the app shows it: the dynamics (ln R, spectrum, saturation,
 * Q/R-vs-BPTT check, alignment with controls) and the flip test (rankings vs random, statistics,
 * single-step map, Fig 4) on the fixed probe set, from float64 weights. Pure TypeScript: the
 * analysis worker runs it in the browser, tests run it in Node, and `npx ftle-lab analyze` uses
 * the same pieces — a number on screen can always be reproduced from an exported model.
 */
import type { ModelWeights } from './formats/model';
import type { EpochSnapshot } from './snapshot';
import { analyzeEpochDynamics, trackedQVectors } from './dynamics/epochAnalysis';
import { defaultAlignmentSteps } from './dynamics/alignment';
import { ANALYSIS_DEFAULTS } from './analysisDefaults';
import { runFlipAnalysis } from './flipAnalysis';
import { capKList, fig4Softmax, flipSummaryForSnapshot, singlePixelFlipMap } from './sensitivity';

export interface EpochAnalysisOptions {
  /** Q vectors tracked (capped at the state size). */
  k: number;
  /** s_t(n) averages ln r_1..n (capped at k). */
  n: number;
  /** Random flip sets per k. */
  draws: number;
  seed: number;
  /**
   * Work budget in multiply-adds for the flip test (random draws, and the matched baselines' draws
   * in proportion, are reduced to fit) and for the
   * single-step map (skipped beyond it): keeps T = 784, N = 512 from taking minutes per epoch.
   */
  budgetMacs?: number;
  /** Told as the analysis advances (several times per probe and phase); results do not depend on it. */
  onProgress?: (progress: AnalysisProgress) => void;
}

/** The phases of one epoch's analysis, in order. */
export type AnalysisPhase = 'Lyapunov vectors' | 'alignment' | 'flip test' | 'single-pixel map';

/**
 * Where an epoch's analysis is: its current phase and the fraction of the whole analysis done, in
 * [0, 1], non-decreasing. Phases are weighted by their estimated cost (multiply-adds, with the
 * plain-JS SVDs of the alignment counted 10x the WASM-kernel work), so the fraction
 * tracks wall time roughly, not exactly.
 */
export interface AnalysisProgress {
  phase: AnalysisPhase;
  fraction: number;
}

export type EpochAnalysis = Omit<EpochSnapshot, 'epoch' | 'metrics'>;

/**
 * Default budget: ~10 s of float64 JS on a 2-core laptop-class CPU (~2-3 s with the WASM kernels;
 * kept fixed so the number of random draws never depends on which kernels ran).
 */
export const DEFAULT_ANALYSIS_BUDGET_MACS = 1.2e10;

/**
 * Turns per-phase fractions into one overall, non-decreasing AnalysisProgress, weighting phases
 * by estimated cost (see AnalysisProgress; flipDraws = random + matched draws per k); null
 * without a listener.
 */
function progressReporter(
  arch: ModelWeights['arch'], B: number, T: number, N: number, S: number, k: number, flipDraws: number, perDrawMacs: number, singleMacs: number,
  listener: ((p: AnalysisProgress) => void) | undefined,
): ((phase: AnalysisPhase, phaseFraction: number) => void) | null {
  if (!listener) return null;
  const kA = trackedQVectors(arch, B, T, S, k);
  let alignment = 0;
  if (arch === 'rnn') {
    // Per alignment step: the prefix-loss backward pass (t steps of N^2, plus the t N^2 product
    // forming G_t at t >= N) on the WASM kernels, and a plain-JS SVD (~2 n^3, counted 10x).
    for (const t of defaultAlignmentSteps(T)) {
      const n = Math.min(t, N);
      alignment += B * (t * N * N * (t < N ? 1 : 2) + 10 * 2 * n * n * n);
    }
  }
  const cost: Record<AnalysisPhase, number> = {
    'Lyapunov vectors': B * T * (N * N + S * S * kA + 2 * kA * kA * S),
    alignment,
    'flip test': flipDraws * perDrawMacs,
    'single-pixel map': singleMacs,
  };
  const order: AnalysisPhase[] = ['Lyapunov vectors', 'alignment', 'flip test', 'single-pixel map'];
  const total = order.reduce((a, p) => a + cost[p], 0);
  let last = 0;
  return (phase, phaseFraction) => {
    let before = 0;
    for (const p of order) {
      if (p === phase) break;
      before += cost[p];
    }
    last = Math.max(last, Math.min(1, (before + cost[phase] * Math.min(1, Math.max(0, phaseFraction))) / total));
    listener({ phase, fraction: last });
  };
}

/**
 * Analyses weights on probe inputs [B*T*D] with labels [B] (h0 = 0). The flip test is the CLI's
 * (runFlipAnalysis with ANALYSIS_DEFAULTS: the paper's k values capped by T), with the draws
 * reduced to the work budget; Fig 4 uses k = 10 (or the largest k below it). Shapes of the
 * result: see EpochSnapshot.
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
  const N = weights.hiddenSize;
  const S = weights.arch === 'lstm' ? 2 * N : N;
  const k = Math.max(1, Math.min(opts.k, S));
  const n = Math.max(1, Math.min(opts.n, k));
  const probe = { B, T, D, inputs, labels: Int32Array.from(labels) };
  const gates = weights.arch === 'rnn' ? 1 : weights.arch === 'gru' ? 3 : 4;
  const stepMacs = gates * N * (N + 1);
  const budget = opts.budgetMacs ?? DEFAULT_ANALYSIS_BUDGET_MACS;
  const kList = capKList([...ANALYSIS_DEFAULTS.kList], T);
  // A random set starts, on average, near T/(k+1): the evaluator replays from there.
  const perDrawMacs = kList.reduce((a, kk) => a + (T - T / (kk + 1)), 0) * B * stepMacs;
  const R = Math.max(5, Math.min(opts.draws, Math.floor(budget / Math.max(1, 2 * perDrawMacs))));
  // The budget shrinks the matched baselines' draws in the same proportion (at least 2 each): at
  // N = 512, T = 784 their 2 x 10 draws would otherwise cost four times the 5 random ones.
  const Rm = R < opts.draws ? Math.max(2, Math.round((ANALYSIS_DEFAULTS.matchedDraws * R) / opts.draws)) : ANALYSIS_DEFAULTS.matchedDraws;
  const singleMacs = B * ((T * (T + 1)) / 2) * stepMacs;
  const withSingle = singleMacs <= budget;

  const report = progressReporter(weights.arch, B, T, N, S, k, R + 2 * Rm, perDrawMacs, withSingle ? singleMacs : 0, opts.onProgress);
  const dyn = analyzeEpochDynamics(weights, probe, {
    k,
    seed: opts.seed,
    onProgress: report ? (phase, done, total) => report(phase === 'lyapunov' ? 'Lyapunov vectors' : 'alignment', done / total) : undefined,
  });

  // Jobs of the flip test per k and probe: 5 rankings (top, bottom, last, saliency, Taylor), R random and 2 x matched draws.
  const flipJobs = kList.length * B * (5 + R + 2 * Rm);
  let jobs = 0;
  const { result, evaluator: ev } = runFlipAnalysis(weights, probe, dyn.lnR, k, {
    n, kList, draws: R, matchedDraws: Rm, seed: opts.seed,
    onJobsDone: report ? (m) => report('flip test', Math.min(1, (jobs += m) / flipJobs)) : undefined,
  });
  jobs = 0;
  if (report && withSingle) ev.onJobsDone((m) => report('single-pixel map', (jobs += m) / (B * T)));
  const single = withSingle ? singlePixelFlipMap(ev) : null;
  ev.onJobsDone(null);
  let kIdx = result.k_list.findIndex((kk) => kk >= 10);
  if (kIdx < 0) kIdx = result.k_list.length - 1;
  else if (result.k_list[kIdx] > 10 && kIdx > 0) kIdx -= 1;
  const fig4 = fig4Softmax(ev, result.order, result.k_list[kIdx], result.rand_sets[kIdx][0]);
  return {
    T,
    N,
    k,
    lnR: dyn.lnR,
    spectrum: dyn.spectrum,
    saturation: dyn.saturation,
    qrGradRelErr: dyn.qrGradRelErr,
    alignment: dyn.alignment,
    flip: flipSummaryForSnapshot(result, single, fig4),
  };
}
