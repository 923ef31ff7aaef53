/**
 * The types shared by the analysis stages (epochParts.ts) and their single-worker composition
 * (epochSnapshot.ts): options, progress and result of one epoch's analysis. Apart from both so
 * neither imports the other for a type (no import cycle).
 */
import type { EpochSnapshot, PartialEpochSnapshot } from '../snapshot';

export interface EpochAnalysisOptions {
  /** Q vectors tracked (capped at the state size). */
  k: number;
  /** s_t(n) averages ln r_1..n (capped at k). */
  n: number;
  /** Random flip sets per k asked for (the paper's 50 unless the config's `draws=` says otherwise). */
  draws: number;
  /**
   * Honour `draws` as asked (an explicit `draws=`): the budget then cuts neither the random nor the
   * matched draws (only the single-step map). Default false: the budget may cut both.
   */
  exactDraws?: boolean;
  seed: number;
  /**
   * Work budget in multiply-adds for the flip test (random draws, and the matched baselines' draws
   * in proportion, are reduced to fit) and for the
   * single-step map (skipped beyond it): keeps T = 784, N = 512 from taking minutes per epoch.
   */
  budgetMacs?: number;
  /** Told as the analysis advances (several times per probe and phase); results do not depend on it. */
  onProgress?: (progress: AnalysisProgress) => void;
  /** Told once the dynamics stage is done, before the flip test starts (a partial snapshot's fields). */
  onDynamics?: (partial: Omit<PartialEpochSnapshot, 'epoch' | 'metrics'>) => void;
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
