/**
 * A run's set-up, between its options (options.ts) and its epoch loop (loop.ts): the engine
 * (model/engines.ts's choice, auto's timing), its thread count, a fresh seeded model (or the
 * resumed weights), the fixed probe digits, and the loop state (opened with loop.ts's openRun).
 * The training worker runs it on the browser's engine registry. Free of worker globals: runs in
 * Node. (headless.ts builds its fast-engine model directly: this module loads tfjs, which the
 * seeds worker must not.)
 */
import type { EngineInfo } from '../core/engines';
import type { RunConfig } from '../core/formats/config';
import type { MnistDataset } from '../data/mnistAsset';
import { fixedProbeSet, type FixedProbeSet } from '../data/probeInfo';
import { buildModel, chooseEngine, chooseThreads, choiceBatch, withThreads, type EngineEntry, type EngineRegistry } from '../model/engines';
import type { RnnWeights } from '../model/init';
import { createLoopState, type LoopState } from './loop';
import { resolveRunOptions, type RunOptions } from './options';

/** A run ready to train: its loop state (model inside) and what the page is told about it. */
export interface RunSetUp {
  options: RunOptions;
  state: LoopState;
  /** The engine chosen (or fallen back to) and its badge info with the threads it trains on. */
  entry: EngineEntry;
  info: EngineInfo;
  /** Threads the engine's trainers are built on (1 for an engine that is not threaded). */
  threads: number;
  probe: FixedProbeSet;
}

/**
 * Chooses the engine and threads for `config` on `registry`, builds the model (with `resume`'s
 * weights at epoch `resume.epoch`) and the loop state, paused in 'loading'. `progress` names the
 * slow steps (engine and thread timing); `cores`: the machine's, for auto's thread candidates.
 */
export async function setUpRun(o: {
  registry: EngineRegistry;
  config: RunConfig;
  dataset: MnistDataset;
  cores: number;
  resume?: { epoch: number; weights: RnnWeights };
  progress?: (what: string) => void;
}): Promise<RunSetUp> {
  const { config, dataset } = o;
  // The config becomes the run's options here, once; everything below builds from them.
  const options = resolveRunOptions(config);
  o.progress?.(config.backend === 'auto' ? 'timing the engines' : 'starting the engine');
  const batch = choiceBatch(config.batch, options.spec, dataset.train);
  const chosen = await chooseEngine(o.registry, config.backend, options.model, batch);
  if (chosen.entry.threaded && config.threads === 'auto') o.progress?.('timing the threads');
  const threads = await chooseThreads(chosen.entry, config.threads, options.model, batch, o.cores);
  const model = await buildModel(o.registry, chosen.entry.id, options.model, threads.threads);
  const info = withThreads(chosen.info, model, threads.note);
  if (o.resume) model.setWeights(o.resume.weights);
  const state = createLoopState({ options, dataset, model, epoch: o.resume?.epoch ?? 0, weights: await model.getWeights() });
  const probe = fixedProbeSet(dataset, options.spec, config.probes, config.seed);
  return { options, state, entry: chosen.entry, info, threads: threads.threads, probe };
}
