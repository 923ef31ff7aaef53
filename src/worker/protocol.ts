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
import type { AnalysisEngineChoice, RunConfig } from '../core/formats/config';
import type { MnistDataset } from '../data/mnistAsset';
import type { EpochSnapshot, PartialEpochSnapshot } from '../core/snapshot';
import type { AnalysisPhase } from '../core/analysis/epochSnapshot';
import type { NamedTensors, RunEvent } from '../run/loop';
import type { EngineInfo } from '../core/engines';
import type { DynamicsPart, FlipPart, FlipPlan } from '../core/analysis/epochParts';
import type { GivenLyapunov } from '../core/analysis/epochAnalysis';

/** Weights as PyTorch-named tensors (row-major Float32Array data): run/loop.ts. */
export type { NamedTensors } from '../run/loop';

export type { ProbeInfo } from '../data/probeInfo';
import type { ProbeInfo } from '../data/probeInfo';

/** A worker (or a pool of them) as its owner sees it: typed commands in, typed events out (worker/client.ts makes them). */
export interface TypedWorker<Cmd, Ev> {
  post(cmd: Cmd, transfer?: Transferable[]): void;
  onEvent(handler: (ev: Ev) => void): void;
  /** Uncaught exceptions inside the worker (script errors, failed imports). */
  onCrash(handler: (message: string) => void): void;
  terminate(): void;
}

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
      engineInfo: EngineInfo;
      probe: ProbeInfo;
      /** Probe inputs exactly as fed to the model, [B*T*D]. */
      probeInputs: Float32Array;
      dataSource: string;
      trainSize: number;
      testSize: number;
    }
  /** The run loop's events (run/loop.ts): state, batch, epoch, diverged, error. */
  | RunEvent
  | { type: 'contextLost'; message: string; engineInfo: EngineInfo }
  /** auto's re-check after the first epoch moved training to a faster engine (weights carried over exactly). */
  | { type: 'engineChanged'; message: string; engineInfo: EngineInfo }
  | { type: 'model'; json: string };

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
      /**
       * Where to analyse (the link's `analysis=`): 'cpu' (or absent) the float64 pool with its budget;
       * 'gpu' the WebGPU analysis engine with the paper's full plan (any adapter, SwiftShader too);
       * 'auto' the GPU when an adapter exists and is not a software renderer, else the CPU.
       * Gated cells and an `evaluate` request always run on the CPU (EpochSnapshot.analysisEngine says so).
       */
      analysisEngine?: AnalysisEngineChoice;
    }
  /**
   * Rehearsal of a GPU reset (tests, demos): the worker destroys its analysis device at the start of
   * its next GPU flip stage; that epoch is then re-run on the CPU pool ('gpuFallback').
   */
  | { type: 'loseGpu' }
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
      /** A pooled analysis: wall ms of each stage (dynamics parts, plan, flip parts, merge), in order; the GPU path adds its float64 check. */
      /** Wall ms per stage; `qr`: a GPU epoch's QR pass on the GPU worker, before the rest of `dynamics` on the CPU pool. */
      stagesMs?: { dynamics: number; plan: number; flip: number; merge: number; check?: number; qr?: number };
      analysis: Omit<EpochSnapshot, 'epoch' | 'metrics'>;
      /** Mean CE (nats) and accuracy on the `evaluate` digits, when asked. */
      evaluation?: { loss: number; acc: number; count: number };
    }
  /**
   * The epoch's dynamics stage is done (spectrum, ln R, alignment, plan): the panels show it while
   * the flip test runs. At most one per epoch, before its 'analysis'; `elapsedMs` since the request started.
   */
  | { type: 'partial'; runId: string; epoch: number; elapsedMs: number; analysis: Omit<PartialEpochSnapshot, 'epoch' | 'metrics'> }
  | { type: 'error'; runId: string; epoch: number; message: string }
  /**
   * The GPU analysis of `epoch` failed (device lost, or any GPU error): the pool re-runs that epoch
   * on the CPU, whose 'analysis' follows; `message` is a sentence for a banner. Nothing is lost.
   */
  | { type: 'gpuFallback'; runId: string; epoch: number; message: string };

/** The fields of an 'analyze' command that every stage of a pooled analysis needs. */
export type AnalyzeRequest = Extract<AnalyzerCommand, { type: 'analyze' }>;

/**
 * Pool-internal messages (analysisPool.ts <-> analysis.worker.ts): one stage of epochParts.ts on
 * one probe range. `task` pairs a result with its request; `reqId` names the epoch request (unique per pool).
 */
export type AnalysisPartCommand =
  /** Stage 1 of probes b0..b1-1; on the GPU path `lyapunov` is their QR pass from 'part-qr-gpu' (epochAnalysis.ts GivenLyapunov). */
  | { type: 'part-dynamics'; task: number; reqId: number; req: AnalyzeRequest; b0: number; b1: number; lyapunov?: GivenLyapunov }
  | { type: 'part-plan'; task: number; reqId: number; req: AnalyzeRequest; parts: DynamicsPart[] }
  | { type: 'part-flip'; task: number; reqId: number; req: AnalyzeRequest; plan: FlipPlan; b0: number; b1: number }
  | { type: 'part-merge'; task: number; reqId: number; req: AnalyzeRequest; plan: FlipPlan; parts: FlipPart[] }
  /** A GPU epoch's stages 3-4 on the worker that owns the device (gpuAnalysisRun.ts); its part-error means: fall back to the CPU. */
  | { type: 'part-flip-gpu'; task: number; reqId: number; req: AnalyzeRequest; plan: FlipPlan }
  /** A GPU epoch's QR pass (all probes, plan.kA vectors, Q at the alignment steps) on the device's worker: GivenLyapunov; part-error means fall back. */
  | { type: 'part-qr-gpu'; task: number; reqId: number; req: AnalyzeRequest };

/** Result of 'part-flip-gpu': the merged analysis (analysisEngine and gpuCheck set) and its stage times (ms). */
export interface GpuFlipResult {
  analysis: Omit<EpochSnapshot, 'epoch' | 'metrics'>;
  stagesMs: { flip: number; merge: number; check: number };
}

export type AnalysisPartEvent =
  /** The part's finished share of the whole phase (PartProgress), at most ~10 per second. */
  | { type: 'part-progress'; task: number; phase: AnalysisPhase; done: number }
  | {
      type: 'part-result';
      task: number;
      result: DynamicsPart | FlipPlan | FlipPart | Omit<EpochSnapshot, 'epoch' | 'metrics'> | GpuFlipResult | GivenLyapunov;
    }
  | { type: 'part-error'; task: number; message: string };
