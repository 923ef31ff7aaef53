/**
 * The controller's state, explicit: one RunSession object instead of module-level variables. The
 * controller (controller.ts) holds the page's one session; the trainer's and the analysers'
 * event handlers (trainerEvents.ts, analysisRouting.ts) receive it as their first argument.
 */
import type { RunConfig } from '../core/formats/config';
import type { EpochMetrics } from '../core/snapshot';
import type { MnistDataset } from '../data/mnistAsset';
import { useRunStore } from '../store/runStore';
import type { AnalyzerCommand, AnalyzerEvent, NamedTensors, TrainerCommand, TrainerEvent, TypedWorker } from '../worker/protocol';

export type AnalyzeCommand = Extract<AnalyzerCommand, { type: 'analyze' }>;

/** The workers of the current run. */
export interface Workers {
  /** null when an imported model is analysed (nothing to train). */
  trainer: TypedWorker<TrainerCommand, TrainerEvent> | null;
  analyzer: TypedWorker<AnalyzerCommand, AnalyzerEvent>;
}

/** What the controller keeps between events of the current run. */
export interface RunSession {
  workers: Workers | null;
  /** Probe inputs as fed to the model (sent by the trainer when it is ready). */
  probeInputs: Float32Array | null;
  /** Latest weights, kept on the UI side so a crashed worker can be restarted without loss. */
  lastWeights: { epoch: number; weights: NamedTensors } | null;
  /**
   * Epochs trained (weights in hand) whose snapshot has not arrived: re-sent to a restarted analysis
   * worker, so an epoch is never lost between training and analysis. Cleared as snapshots arrive.
   */
  awaitingAnalysis: Map<number, AnalyzeCommand>;
  /** A Pause was clicked and the worker has not yet answered it: keep showing 'pausing'. */
  pauseRequested: boolean;
  /** `autostart=1`: press Start once, as soon as the run can train. */
  autostartPending: boolean;
  modelExportResolver: ((json: string) => void) | null;
  /** The user's IDX digits of the current run (kept so a restarted worker trains on the same data). */
  ownDataset: MnistDataset | null;
  /** The config the current trainer runs with (the epoch target moves with "Train N more epochs"). */
  currentConfig: RunConfig | null;
  /** Analysis-worker crashes in a row (no snapshot in between). */
  analyzerCrashes: number;
  /** When the epoch now analysing sent its first progress report (performance.now() ms): the ETA's clock. */
  analysisClock: { epoch: number; at: number } | null;
}

/** A session with no run. */
export function createSession(): RunSession {
  return {
    workers: null,
    probeInputs: null,
    lastWeights: null,
    awaitingAnalysis: new Map(),
    pauseRequested: false,
    autostartPending: false,
    modelExportResolver: null,
    ownDataset: null,
    currentConfig: null,
    analyzerCrashes: 0,
    analysisClock: null,
  };
}

/** Listeners the persistence layer hooks into (kept out of this module to keep it testable). */
export const runEvents = {
  onSnapshot: [] as ((runId: string, epoch: number) => void)[],
  onWeights: [] as ((runId: string, epoch: number, weights: NamedTensors, metrics: EpochMetrics) => void)[],
  /** `restored`: the run continues a stored one (same id, snapshots kept). */
  onRunStart: [] as ((runId: string, config: RunConfig, restored: boolean) => void)[],
  /** An imported bundle ('replay') or model ('model') became the current run; `restored` from storage. */
  onImport: [] as ((runId: string, kind: 'replay' | 'model', restored: boolean) => void)[],
  /** The run's epoch target changed without a restart (Train N more epochs). */
  onConfigChange: [] as ((runId: string, config: RunConfig) => void)[],
};

/** An epoch trained but not yet analysed (restored from storage): analysed again on start. */
export interface UnanalysedEpoch {
  epoch: number;
  metrics: EpochMetrics;
  weights: NamedTensors;
}

/** Terminates the session's workers and forgets what they were doing. */
export function stopWorkers(session: RunSession): void {
  session.workers?.trainer?.terminate();
  session.workers?.analyzer.terminate();
  session.workers = null;
  session.awaitingAnalysis = new Map<number, AnalyzeCommand>();
  session.pauseRequested = false;
  session.analysisClock = null;
  useRunStore.getState().set({ analysing: null, worker: null, partial: null });
}
