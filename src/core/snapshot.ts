/**
 * EpochSnapshot: everything every panel needs for one epoch of one run, and nothing else.
 * The analysis worker computes everything but the metrics (analyzeEpoch in core/analysis/epochSnapshot.ts,
 * on a float64 copy of the weights the training worker sends after each epoch, on the fixed probe
 * set); the controller joins that with the epoch's training metrics and hands the snapshot to the
 * store, which persists it; run bundles export it. The UI never recomputes what a snapshot holds.
 *
 * Conventions: B = probes, T = steps, k = tracked Q vectors, N = hidden units, C = classes,
 * K = number of flip k-values, R = random draws. Flat arrays are row-major. Time index 0 is
 * step t = 1. Logs are natural ("ln per step") unless a field says otherwise.
 * Plain number[] (not typed arrays) so the snapshot survives JSON and structured clone alike.
 * NaN appears only where a value is undefined (run bundles write it as null, see
 * formats/bundle.ts NAN_FIELDS): metrics before training, qrGradRelErr when the check is skipped,
 * p-values and effect sizes of degenerate differences, alignment statistics at a step whose
 * prefix-loss gradient is zero. Arrays a budget skipped are empty: flip.singleFlip, flip.absDLdx.
 */
import type { EngineId } from './engines';

export interface EpochMetrics {
  /** Mean training cross-entropy over the epoch (nats), NaN for epoch 0. */
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  /** Test accuracy in [0, 1]. */
  testAcc: number;
  /** Median ms per training step this epoch (NaN for epoch 0). */
  msPerStep: number;
  epochMs: number;
  /** Wall time of the dynamics + flip analysis for this snapshot, ms. */
  analysisMs: number;
  /** tf.memory().numTensors after the epoch. */
  numTensors: number;
  /**
   * The engine that trained this epoch (ENGINE_IDS in core/engines.ts): results are reproducible bit for bit only on
   * the same engine, and a context loss may switch engines mid-run. Absent in older files.
   */
  engine?: EngineId;
  /**
   * Threads the engine trained this epoch on (the hand-written engine's `threads=`): a run is
   * reproducible bit for bit for a given count. Absent in older files, which trained on one (epochThreads).
   */
  threads?: number;
}

/** Threads an epoch was trained on: its record, 1 for files written before threads existed. */
export function epochThreads(m: Pick<EpochMetrics, 'threads'>): number {
  return m.threads ?? 1;
}

export interface AlignmentSummary {
  /** 1-based steps at which the gradient of the prefix loss L_t was analysed. */
  steps: number[];
  /** Paper statistic per step: std over probes and pairs of cos(q_a, v_j), a<10, j<5 (right sv). */
  paperStd: number[];
  /** Same with 10 random Q indices (the paper's baseline), drawn among the first randomQPool. */
  paperStdRandomQ: number[];
  /**
   * How many Q vectors the random indices were drawn from: N (all, as in the paper) unless
   * tracking the whole basis was over budget (analysis/epochAnalysis.ts). Absent in older files.
   */
  randomQPool?: number;
  /** Same with the last 10 Q vectors (most contracting directions); present when all N were tracked. */
  paperStdLastQ?: number[];
  /** Same with Q of another probe (mismatched pairing control). */
  paperStdMismatched: number[];
  /** Same with W_hh's own top singular vectors in place of the gradient's (network-level control). */
  paperStdWhh: number[];
  /** Null for random directions: 1/sqrt(N). */
  nullCosStd: number;
  /** Subspace sizes m for the principal-angle overlaps. */
  m: number[];
  /** Mean cos^2 principal-angle overlap, [steps][M], averaged over probes; left/right singular vectors. */
  overlapLeft: number[][];
  overlapRight: number[][];
  /** Across-probe std of the overlaps, [steps][M]. */
  overlapLeftStd: number[][];
  overlapRightStd: number[][];
  /** Controls for the overlaps, [steps][M]: Q of another probe, W_hh's singular subspaces. */
  overlapLeftMismatched: number[][];
  overlapLeftWhh: number[][];
  /** Null m/N per m. */
  overlapNull: number[];
  /** |cos| matrix for the first probe at the last step, [nq][nsv] (right singular vectors). */
  cosMatrix: number[][];
  /** |cos(q_a, v_j)| of every probe at the last step, [B][nq][nsv]; cosMatrix is its first entry. Absent in older files. */
  cosMatrices?: number[][][];
  /** Participation ratio (sum s)^2 / sum s^2 of the gradient's singular values, per step (mean over probes). */
  effectiveRank: number[];
  /**
   * CLV control (method.md §9): the paper statistic with the first covariant Lyapunov vectors in
   * place of Q, per step. Absent in older files (and where fewer than nq CLVs exist in R^N).
   */
  paperStdClv?: number[];
  /** Angle between the first two CLVs over time, [B][T+1] radians (NaN when S < 2). Absent in older files. */
  clvFirstTwoAngle?: number[][];
  /** Time-mean angle between v_a and q_a, [B][kc] radians (kc = min(10, S)). Absent in older files. */
  clvQAngle?: number[][];
}

export interface StatTest {
  /** One value per k in kList. */
  p: number[];
  pHolm: number[];
}

export interface FlipSummary {
  n: number;
  kList: number[];
  /** Random draws per k. */
  R: number;
  /** Draws per k of each matched baseline (10 unless the work budget shrank them; absent in older files). */
  matchedDraws?: number;
  /** Base loss per probe [B]. */
  baseLoss: number[];
  /** dL per ranking name ("top", "bottom", "saliency", "taylor", "last", "matched") -> [K][B]. */
  dL: Record<string, number[][]>;
  /** Random baseline [K][R][B]. */
  dLRand: number[][][];
  /** Paper's one-sided z test for R-top vs random, per k. */
  zTest: { d: number[]; sigma: number[]; p: number[]; pHolm: number[] };
  /** Paired Wilcoxon per ranking vs mean random, per k (alternative: ranking > random). */
  wilcoxon: Record<string, { medianDiff: number[]; meanDiff: number[]; p: number[]; pHolm: number[] }>;
  /** Bootstrap 95% band of the mean dL over images, per ranking (and "random"), [K][2]. */
  band: Record<string, number[][]>;
  /** Effect size (mean paired diff / sd of diff) per ranking, per k. */
  effect: Record<string, number[]>;
  /** Single-pixel dL map [B][T]: loss change when the pixel fed at step t alone is flipped. */
  singleFlip: number[][];
  /** Per-step scores s_t(n) [B][T] and |dL/dx_t| [B][T]. */
  scores: number[][];
  absDLdx: number[][];
  /** Fig 4: softmax of original, R-top-flipped and one random-flipped input at kFig, [B][C]. */
  kFig: number;
  softmaxOrig: number[][];
  softmaxTop: number[][];
  softmaxRand: number[][];
}

export interface EpochSnapshot {
  /** 0 = before training. */
  epoch: number;
  metrics: EpochMetrics;
  T: number;
  N: number;
  k: number;
  /** ln r_i(t) for each probe, flat [B][T][k] (Float32 precision is plenty for drawing). */
  lnR: number[];
  /** FTLE spectrum lambda_i(T) per probe [B][k], ln per step. */
  spectrum: number[][];
  /** Fraction of |h_t| > 0.99 over probes, steps and units. */
  saturation: number;
  /**
   * Relative difference between the Q/R-form and BPTT gradients dL/dW_hh on probe 0 (~1e-15);
   * NaN when skipped (state size > 128 or T*S*S > 4e6: it needs every Q_t and R_t).
   */
  qrGradRelErr: number;
  alignment: AlignmentSummary | null;
  flip: FlipSummary | null;
  /**
   * What the analysis computed against the paper's plan, and why anything was cut (AnalysisPlan;
   * core/analysisPlan.ts words it for the panels). Absent in older files.
   */
  plan?: AnalysisPlan;
  /** Where the analysis ran (absent in files from before the GPU analysis engine: the CPU). */
  analysisEngine?: AnalysisEngineInfo;
  /** A GPU-analysed epoch's float64 check on one probe (absent on the CPU path). */
  gpuCheck?: GpuCheck;
}

/** Where an epoch's analysis ran: the CPU float64 pool, or the GPU analysis engine (float32) on `adapter`. */
export interface AnalysisEngineInfo {
  kind: 'gpu' | 'cpu';
  /** The WebGPU adapter's description (gpu only). */
  adapter?: string;
  /** Why a GPU was asked for and the CPU ran (device lost, gated cell, no adapter). */
  fallback?: string;
}

/**
 * The float64 check of a GPU-analysed epoch: one probe (chosen from the run seed) recomputed on the
 * CPU in float64; each field is the largest |GPU - float64| over that probe (ln per step for ln r
 * and FTLE, nats for flip dL and the single-pixel map, plain for the Q vectors' entries).
 */
export interface GpuCheck {
  probe: number;
  maxDevLnR: number;
  maxDevFtle: number;
  maxDevQ: number;
  maxDevFlipDL: number;
  maxDevSingle: number;
  /** Alignment cosines <q_a, v_j> and <q_a, u_j> of the checked probe (paper's Q vectors, top singular vectors): GPU Q_t against float64 Q_t, same float64 SVDs. */
  maxDevCosine: number;
  /** Names of the tests (z test, Wilcoxon per ranking) whose verdict or Holm decision at 0.05 changes when the checked probe's float64 losses replace the GPU's; [] when none. */
  decisionsDiffer: string[];
}

/**
 * The plan an epoch's flip test ran (epochParts.ts planEpoch), next to the paper's own at this T.
 * The CPU path cuts the random draws, the matched draws and the single-pixel map to a work budget
 * (DEFAULT_ANALYSIS_BUDGET_MACS) at large N and T; an explicit `draws=` in the link is honoured
 * as asked. Every panel whose statistic fell short says so (analysisPlan.ts planNotes).
 */
export interface AnalysisPlan {
  /** Random flip sets per k that ran (FlipSummary.R). */
  R: number;
  /** Draws per k of each matched baseline that ran. */
  Rm: number;
  /** Whether the single-pixel map was computed. */
  single: boolean;
  /** Flip-test k values that ran (the paper's, those above T dropped). */
  kList: number[];
  /** The paper's plan at this T: 50 random draws, 10 matched draws, the single-pixel map, its k values up to T. */
  paper: { R: number; Rm: number; single: boolean; kList: number[] };
  /** Where R came from: the paper's value, an explicit `draws=` of the link/config, or the CPU budget's cut. */
  drawsFrom: 'paper' | 'draws=' | 'CPU budget';
  /** Why a statistic fell short of the paper's plan ('CPU budget'), or null when nothing was cut. */
  cut: 'CPU budget' | null;
  /** The work budget (multiply-adds) the plan was fitted to; null when unbounded. */
  budgetMacs: number | null;
  /** Estimated multiply-adds of each stage (the progress weights; analysisPlan.ts estimates time from them). */
  macs: { lyapunov: number; alignment: number; flip: number; single: number };
}

/**
 * An epoch's snapshot while its analysis runs: the dynamics stage is done (ln R, spectrum,
 * saturation, Q/R check, alignment, plan), the flip stage is not, so `flip` is null and `partial`
 * names the stage reached. The store holds at most one, never persists or exports it, and
 * replaces it with the complete snapshot (analysisPlan.ts withPartial).
 */
export interface PartialEpochSnapshot extends Omit<EpochSnapshot, 'flip'> {
  flip: null;
  /** The last stage done: 'dynamics' (the flip test and single-pixel map still run). */
  partial: 'dynamics';
}

/** A snapshot a panel may be shown: complete, or partial while its epoch's flip stage runs. */
export type ShownSnapshot = EpochSnapshot | PartialEpochSnapshot;

/** Whether a shown snapshot is still waiting for its flip stage. */
export function isPartialSnapshot(s: ShownSnapshot): s is PartialEpochSnapshot {
  return (s as Partial<PartialEpochSnapshot>).partial !== undefined;
}
