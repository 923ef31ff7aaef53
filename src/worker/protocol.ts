/**
 * The typed message protocol between the UI thread and the two workers.
 *
 * - The TRAINING worker owns tfjs, the model and the dataset. It trains, and after every epoch
 *   posts the weights (float32 copies) with the epoch's metrics.
 * - The ANALYSIS worker owns no tfjs: it runs src/core on a float64 copy of those weights and the
 *   fixed probe set and posts the analysis half of the EpochSnapshot. Training never waits for it.
 *
 * One module defines every message; both sides import it, so a renamed field fails to compile.
 */
import type { RunConfig } from '../core/formats/config';
import type { MnistDataset } from '../data/mnistAsset';
import type { EpochMetrics, EpochSnapshot } from '../core/snapshot';
import type { AnalysisPhase } from '../core/analysis/epochSnapshot';
import type { LifecycleState } from './lifecycle';
import type { EngineInfo } from '../core/engines';
import type { DynamicsPart, FlipPart, FlipPlan } from '../core/analysis/epochParts';

/** Weights as PyTorch-named tensors (row-major Float32Array data). */
export type NamedTensors = Record<string, { shape: number[]; data: Float32Array }>;

export type { ProbeInfo } from '../data/probeInfo';
import type { ProbeInfo } from '../data/probeInfo';

/** The engine training now (id, renderer, precision, fallback reason, auto's timings): core/engines.ts. */
export type BackendInfo = EngineInfo;

export type TrainerCommand =
  | {
      type: 'init';
      config: RunConfig;
      dataUrl: string;
      resume?: { epoch: number; weights: NamedTensors };
      /** The user's own digits (IDX files, parsed and validated on the UI side); else dataUrl is fetched. */
      dataset?: MnistDataset;
    }
  | { type: 'start' }
  /** Pause at the next batch boundary (acknowledged by a 'state' event: pausing, then paused). */
  | { type: 'pause' }
  /** Train to the end of the current epoch, then pause. */
  | { type: 'step' }
  /** Train one batch, then pause (acknowledged: training, pausing, paused). */
  | { type: 'stepBatch' }
  /** Slow motion: wait `msPerBatch` ms before each batch (0: full speed); numbers do not change. */
  | { type: 'pace'; msPerBatch: number }
  /** A new epoch target (Train N more epochs): a finished run becomes paused, ready to continue. */
  | { type: 'extend'; epochs: number }
  | { type: 'exportModel' }
  /** Rehearsals of failures (tests, demos): lose the engine's GPU context; put a NaN into W_hh. */
  | { type: 'loseContext' }
  | { type: 'poison' }
  /** Rehearsal of a worker fault: an uncaught exception inside the worker. */
  | { type: 'crash' };

export type TrainerEvent =
  | { type: 'progress'; what: string; fraction: number }
  | {
      type: 'ready';
      backend: BackendInfo;
      probe: ProbeInfo;
      /** Probe inputs exactly as fed to the model, [B*T*D]. */
      probeInputs: Float32Array;
      dataSource: string;
      trainSize: number;
      testSize: number;
    }
  /**
   * The worker's lifecycle state, posted at every change and in answer to every command:
   * `epoch` epochs are complete, `batch` of the `batches` of the next one are trained (where a
   * pause stopped), `epochs` is the target.
   */
  | { type: 'state'; state: LifecycleState; epoch: number; batch: number; batches: number; epochs: number }
  | { type: 'batch'; epoch: number; step: number; stepsPerEpoch: number; loss: number }
  | {
      type: 'epoch';
      epoch: number;
      metrics: EpochMetrics;
      weights: NamedTensors;
    }
  | { type: 'diverged'; epoch: number; message: string }
  | { type: 'contextLost'; message: string; backend: BackendInfo }
  /** auto's re-check after the first epoch moved training to a faster engine (weights carried over exactly). */
  | { type: 'engineChanged'; message: string; backend: BackendInfo }
  | { type: 'model'; json: string }
  | { type: 'error'; message: string; fatal: boolean };

export type AnalyzerCommand =
  | {
      type: 'analyze';
      runId: string;
      epoch: number;
      config: RunConfig;
      arch: 'rnn' | 'gru' | 'lstm';
      /** PyTorch-named tensors, float32 from training or float64 from an imported model file. */
      weights: Record<string, { shape: number[]; data: Float32Array | Float64Array }>;
      probe: { inputs: Float32Array | Float64Array; labels: number[]; T: number; D: number };
      /** Also evaluate on these digits (an imported model on the bundled test split), [M*T*D] with labels [M]. */
      evaluate?: { inputs: Float32Array | Float64Array; labels: number[] };
    }
  /** Rehearsal of an analysis-worker fault: an uncaught exception inside the worker. */
  | { type: 'crash' };

export type AnalyzerEvent =
  /** How far the analysis of `epoch` is (AnalysisProgress; at most ~10 per second). */
  | { type: 'progress'; runId: string; epoch: number; phase: AnalysisPhase; fraction: number }
  | {
      type: 'analysis';
      runId: string;
      epoch: number;
      analysisMs: number;
      /** A pooled analysis: wall ms of each stage (dynamics parts, plan, flip parts, merge), in order. */
      stagesMs?: { dynamics: number; plan: number; flip: number; merge: number };
      analysis: Omit<EpochSnapshot, 'epoch' | 'metrics'>;
      /** Mean CE (nats) and accuracy on the `evaluate` digits, when asked. */
      evaluation?: { loss: number; acc: number; count: number };
    }
  | { type: 'error'; runId: string; epoch: number; message: string };

/** The fields of an 'analyze' command that every stage of a pooled analysis needs. */
export type AnalyzeRequest = Extract<AnalyzerCommand, { type: 'analyze' }>;

/**
 * Pool-internal messages (analysisPool.ts <-> analysis.worker.ts): one stage of epochParts.ts on
 * one probe range. `task` pairs a result with its request; `reqId` names the epoch request (unique per pool).
 */
export type AnalysisPartCommand =
  | { type: 'part-dynamics'; task: number; reqId: number; req: AnalyzeRequest; b0: number; b1: number }
  | { type: 'part-plan'; task: number; reqId: number; req: AnalyzeRequest; parts: DynamicsPart[] }
  | { type: 'part-flip'; task: number; reqId: number; req: AnalyzeRequest; plan: FlipPlan; b0: number; b1: number }
  | { type: 'part-merge'; task: number; reqId: number; req: AnalyzeRequest; plan: FlipPlan; parts: FlipPart[] };

export type AnalysisPartEvent =
  /** The part's finished share of the whole phase (PartProgress), at most ~10 per second. */
  | { type: 'part-progress'; task: number; phase: AnalysisPhase; done: number }
  | { type: 'part-result'; task: number; result: DynamicsPart | FlipPlan | FlipPart | Omit<EpochSnapshot, 'epoch' | 'metrics'> }
  | { type: 'part-error'; task: number; message: string };
