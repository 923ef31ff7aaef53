/**
 * A whole run in one thread, with its analysis: what the page's training and analysis workers do
 * for a link, for the page's background seeds (worker/seeds.worker.ts) and `ftle-lab run`
 * (cli/runCommand.ts). It trains through the same epoch loop as the page's first seed
 * (loop.ts: seeded shuffle, batches encoded on the fly, test evaluation, divergence check), and
 * analyses each epoch it hands on with analyzeEpoch on the fixed probe digits, from the same
 * float32 weights the training worker posts. The hand-written fast engine trains (WASM SIMD
 * kernels where the runtime has them), so a run matches the browser's fast engine for the same config.
 */
import { drawsOptions, type RunConfig } from '../core/formats/config';
import { RUN_BUNDLE_FORMAT, type RunBundle } from '../core/formats/bundle';
import { modelWeightsFromNamed } from '../core/formats/namedWeights';
import { analyzeEpoch, type AnalysisProgress } from '../core/analysis/epochSnapshot';
import type { EngineId } from '../core/engines';
import type { EpochSnapshot } from '../core/snapshot';
import { encodeImages } from '../data/encodings';
import type { MnistDataset } from '../data/mnistAsset';
import { fixedProbeSet } from '../data/probeInfo';
import { modelJson } from '../model/export';
import type { TrainingKernels } from '../model/fast/kernels';
import type { RnnWeights } from '../model/init';
import { fastTrainer } from '../model/trainer';
import { resolveRunOptions } from './options';
import { command, createLoopState, openRun, type LoopHost, type RunEvent } from './loop';

/** What the run is doing now, for a progress display. `fraction` is of the current phase, in [0, 1]. */
export type HeadlessProgress =
  | { phase: 'train'; epoch: number; epochs: number; fraction: number; loss: number }
  | { phase: 'evaluate'; epoch: number; epochs: number }
  | { phase: 'analyse'; epoch: number; epochs: number; fraction: number; step: AnalysisProgress['phase'] };

export interface HeadlessRunOptions {
  config: RunConfig;
  dataset: MnistDataset;
  /** The fast engine's kernels and the engine id they make (fast-wasm or fast-js). */
  kernels: TrainingKernels;
  engine: EngineId;
  /** App version written into the bundle. */
  appVersion: string;
  /** ISO time written as `created` (default: now). */
  created?: string;
  onProgress?: (p: HeadlessProgress) => void;
  /** Called with the bundle of every epoch analysed so far, after each epoch (write it out here). */
  onEpoch?: (bundle: RunBundle, snapshot: EpochSnapshot) => void;
  /** Polled between batches and epochs: true abandons the epoch in progress and ends the run. */
  shouldStop?: () => boolean;
  /** Awaited before every training batch: a pause gate (the app's background seeds pause with the main run). */
  beforeBatch?: () => void | Promise<void>;
}

export interface HeadlessRunResult {
  /** Every finished (trained and analysed) epoch, 0 first, and the weights of the last one. */
  bundle: RunBundle;
  /** 'done': all config.epochs; 'stopped': shouldStop ended it; 'diverged': a NaN/Inf loss or weight. */
  outcome: 'done' | 'stopped' | 'diverged';
  /** For 'diverged': what went wrong and what to change. */
  message?: string;
}

/** Trains and analyses `config.epochs` epochs of `config` on `dataset`; see the module comment. */
export async function runHeadless(o: HeadlessRunOptions): Promise<HeadlessRunResult> {
  const { config, dataset } = o;
  const epochs = config.epochs;
  const options = resolveRunOptions(config);
  const { spec } = options;
  const probeIdx = fixedProbeSet(dataset, spec, config.probes, config.seed).indices;
  const labels = Array.from(probeIdx, (i) => dataset.test.labels[i]);
  // The training worker posts the probe inputs as float32; the analysis worker widens them.
  const probeInputs = Float64Array.from(encodeImages(dataset.test.images, probeIdx, spec));
  const bundle: RunBundle = {
    format: RUN_BUNDLE_FORMAT,
    created: o.created ?? new Date().toISOString(),
    appVersion: o.appVersion,
    config,
    probe: { indices: Array.from(probeIdx), labels },
    dataSource: 'bundled-mnist-10k',
    epochs: [],
  };

  /** The analysis of a finished epoch, as the analysis worker does it, recorded in the bundle. */
  const analyse = (ev: Extract<RunEvent, { type: 'epoch' }>): void => {
    const { epoch } = ev;
    const t0 = performance.now();
    const analysis = analyzeEpoch(modelWeightsFromNamed(config.cell, ev.weights), probeInputs, labels, spec.T, spec.D, {
      k: config.k,
      n: config.n,
      ...drawsOptions(config.draws),
      seed: config.seed,
      onProgress: ({ phase, fraction }) => o.onProgress?.({ phase: 'analyse', epoch, epochs, fraction, step: phase }),
    });
    const snapshot: EpochSnapshot = { epoch, metrics: { ...ev.metrics, analysisMs: performance.now() - t0 }, ...analysis };
    bundle.epochs.push(snapshot);
    // As the app exports it: the model file without its provenance block.
    bundle.weights = modelJson(ev.weights as unknown as RnnWeights, spec) as unknown as RunBundle['weights'];
    o.onEpoch?.(bundle, snapshot);
  };

  let diverged: { epoch: number; cause: string } | null = null;
  const rebuild = () => fastTrainer(options.model, o.kernels);
  const host: LoopHost = {
    post(ev) {
      if (ev.type === 'epoch') analyse(ev);
      else if (ev.type === 'batch')
        o.onProgress?.({ phase: 'train', epoch: ev.epoch, epochs, fraction: (ev.step + 1) / ev.stepsPerEpoch, loss: ev.loss });
      else if (ev.type === 'diverged') diverged = { epoch: ev.epoch, cause: ev.cause };
    },
    engineId: () => o.engine,
    rebuildModel: rebuild,
    // The fast engine holds no tfjs tensors.
    numTensors: () => 0,
    beforeBatch: async () => {
      await o.beforeBatch?.();
      if (o.shouldStop?.()) command(s, host, { type: 'stop' });
    },
    evaluating: (epoch) => o.onProgress?.({ phase: 'evaluate', epoch, epochs }),
  };
  const model = rebuild();
  const s = createLoopState({ options, dataset, model, epoch: 0, weights: await model.getWeights() });
  try {
    if (!(await openRun(s, host, false))) {
      const d = diverged as { cause: string } | null;
      return { bundle, outcome: 'diverged', message: `The initial weights are not usable: ${d?.cause ?? 'not finite'}.` };
    }
    if (o.shouldStop?.()) return { bundle, outcome: 'stopped' };
    // The run ends where the loop stops: done, paused by a divergence, failed, or stopped.
    await command(s, host, { type: 'start' });
    if (s.failure) throw s.failure;
    const d = diverged as { epoch: number; cause: string } | null;
    if (d) {
      return {
        bundle,
        outcome: 'diverged',
        message:
          `Training diverged: ${d.cause}. The bundle holds epochs 0-${bundle.epochs[bundle.epochs.length - 1].epoch}. ` +
          `Lower the learning rate (now ${config.lr}), enable gradient clipping (--clip), or use a smaller --gain.`,
      };
    }
    return { bundle, outcome: s.lifecycle === 'done' ? 'done' : 'stopped' };
  } finally {
    s.model.dispose();
  }
}
