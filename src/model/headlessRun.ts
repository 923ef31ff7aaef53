/**
 * A whole run without a browser: what the training worker and the analysis worker do for a link,
 * in one Node loop. Epoch 0 (the initial weights) is evaluated and analysed, then each epoch is
 * trained with the same epoch loop (trainEpochWith: seeded shuffle, batches encoded on the fly),
 * evaluated on the test split and analysed with analyzeEpoch on the fixed probe digits,
 * exactly as the app does. The hand-written fast engine trains (WASM SIMD kernels where the runtime
 * has them), so a run matches the browser's fast engine for the same config.
 */
import type { RunConfig } from '../core/formats/config';
import { RUN_BUNDLE_FORMAT, type RunBundle } from '../core/formats/bundle';
import { modelWeightsFromNamed } from '../core/formats/namedWeights';
import { analyzeEpoch, type AnalysisProgress } from '../core/analysis/epochSnapshot';
import type { EngineId } from '../core/engines';
import type { EpochMetrics, EpochSnapshot } from '../core/snapshot';
import { encodeImages } from '../data/encodings';
import type { MnistDataset } from '../data/mnistAsset';
import { modelJson } from './export';
import type { TrainingKernels } from './fast/kernels';
import type { RnnWeights } from './init';
import { runModelOptions, TEST_EVAL_BATCH } from './runSetup';
import { specForConfig } from '../data/encodings';
import { fixedProbeSet } from '../data/probeInfo';
import { evaluateSplitWith, fastTrainer, trainEpochWith } from './trainer';

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

/** Thrown from the batch hook when shouldStop() turns true: abandons the epoch in progress. */
class Stop extends Error {}

function firstNonFinite(w: RnnWeights): string | null {
  for (const [name, t] of Object.entries(w)) for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return name;
  return null;
}

/** Trains and analyses `config.epochs` epochs of `config` on `dataset`; see the module comment. */
export async function runHeadless(o: HeadlessRunOptions): Promise<HeadlessRunResult> {
  const { config, dataset } = o;
  const epochs = config.epochs;
  const spec = specForConfig(config.encoding, config.permute, config.seed);
  const trainer = fastTrainer(runModelOptions(config, spec), o.kernels);
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

  /** Evaluates, analyses and records one epoch; returns what went wrong when its weights or test loss are not finite, else null. */
  const finishEpoch = async (
    epoch: number,
    m: Pick<EpochMetrics, 'trainLoss' | 'trainAcc' | 'msPerStep' | 'epochMs'>,
  ): Promise<string | null> => {
    o.onProgress?.({ phase: 'evaluate', epoch, epochs });
    const test = await evaluateSplitWith(trainer, dataset.test, spec, TEST_EVAL_BATCH);
    const weights = await trainer.getWeights();
    const bad = firstNonFinite(weights);
    if (bad !== null || !Number.isFinite(test.loss)) return `the ${bad ?? 'test loss'} became NaN or infinite after epoch ${epoch}`;
    const t0 = performance.now();
    const analysis = analyzeEpoch(modelWeightsFromNamed(config.cell, weights), probeInputs, labels, spec.T, spec.D, {
      k: config.k,
      n: config.n,
      draws: config.draws,
      seed: config.seed,
      onProgress: ({ phase, fraction }) => o.onProgress?.({ phase: 'analyse', epoch, epochs, fraction, step: phase }),
    });
    const snapshot: EpochSnapshot = {
      epoch,
      metrics: {
        ...m,
        testLoss: test.loss,
        testAcc: test.acc,
        analysisMs: performance.now() - t0,
        // The fast engine holds no tfjs tensors.
        numTensors: 0,
        engine: o.engine,
      },
      ...analysis,
    };
    bundle.epochs.push(snapshot);
    // As the app exports it: the model file without its provenance block.
    bundle.weights = modelJson(weights, spec) as unknown as RunBundle['weights'];
    o.onEpoch?.(bundle, snapshot);
    return null;
  };

  try {
    const failed0 = await finishEpoch(0, { trainLoss: NaN, trainAcc: NaN, msPerStep: NaN, epochMs: 0 });
    if (failed0) return { bundle, outcome: 'diverged', message: `The initial weights are not usable: ${failed0}.` };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (o.shouldStop?.()) return { bundle, outcome: 'stopped' };
      const stepMs: number[] = [];
      const abort = new AbortController();
      let divergedAt: { batch: number; loss: number } | null = null;
      const r = await trainEpochWith(trainer, dataset.train, spec, {
        batchSize: config.batch,
        seed: config.seed,
        epoch,
        subset: config.subset,
        signal: abort.signal,
        beforeBatch: async () => {
          await o.beforeBatch?.();
          if (o.shouldStop?.()) throw new Stop();
        },
        onBatch: (b) => {
          stepMs.push(b.ms);
          if (!Number.isFinite(b.loss)) {
            divergedAt = { batch: b.batch, loss: b.loss };
            abort.abort();
            return;
          }
          o.onProgress?.({ phase: 'train', epoch, epochs, fraction: (b.batch + 1) / b.batches, loss: b.loss });
        },
      });
      const why = divergedAt as { batch: number; loss: number } | null;
      const failed = why
        ? `the training loss became ${why.loss} at batch ${why.batch + 1} of epoch ${epoch}`
        : await finishEpoch(epoch, { trainLoss: r.loss, trainAcc: r.acc, msPerStep: median(stepMs), epochMs: r.ms });
      if (failed) {
        return {
          bundle,
          outcome: 'diverged',
          message:
            `Training diverged: ${failed}. The bundle holds epochs 0-${bundle.epochs[bundle.epochs.length - 1].epoch}. ` +
            `Lower the learning rate (now ${config.lr}), enable gradient clipping (--clip), or use a smaller --gain.`,
        };
      }
    }
    return { bundle, outcome: 'done' };
  } catch (e) {
    if (e instanceof Stop) return { bundle, outcome: 'stopped' };
    throw e;
  } finally {
    trainer.dispose();
  }
}

/** Median of per-batch times as the worker reports it (upper median), NaN for none. */
function median(ms: number[]): number {
  const s = [...ms].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}
