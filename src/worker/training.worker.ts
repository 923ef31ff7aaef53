/// <reference lib="webworker" />
/**
 * The training worker: owns tfjs, the model and the dataset, off the UI thread.
 *
 * A thin adapter around the run module: the run loop (epochs, pause/resume/step, divergence
 * rollback, the lifecycle and its acknowledgements) is run/loop.ts, the options derived once from
 * the config run/options.ts; this file adds what only a worker has: loading data,
 * the engine (model/engines.ts's choice, auto's re-check after epoch 1), the message handler, and
 * surviving a lost GPU context (rebuild the engine or fall back, restore the CPU copy of the last
 * good epoch, continue).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../core/formats/config';
import { engineBadgeText, type EngineId, type EngineInfo } from '../core/engines';
import { fetchMnistAsset, type MnistDataset } from '../data/mnistAsset';
import { ContextLostError } from '../model/gpuContext';
import type { RnnWeights } from '../model/rnn';
import { browserEngineRegistry } from '../model/browserEngines';
import {
  buildModel,
  canLoseContext,
  choiceBatch,
  loseEngineContext,
  recheckEngine,
  recoverEngine,
  swapTrainer,
  trainerLost,
  trainerThreads,
  withThreads,
  type EngineEntry,
  type EngineRegistry,
} from '../model/engines';
import { command, openRun, postState, restartFromLastGood, type LoopHost, type LoopState } from '../run/loop';
import { setUpRun } from '../run/setup';
import { modelJson } from '../model/export';
import type { NamedTensors, TrainerCommand, TrainerEvent } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: TrainerEvent, transfer: Transferable[] = []) => ctx.postMessage(ev, transfer);

interface State extends LoopState {
  /** The engine training now, as the badge shows it (core/engines.ts EngineInfo). */
  engineInfo: EngineInfo;
  /** The engine training now (recorded in each epoch's metrics). */
  engine: EngineId;
  /**
   * Threads a threaded engine (the hand-written one) is built on: `threads=` when a number, else
   * auto's timed count (1 when the run started on an engine that is not threaded).
   */
  threads: number;
  probeIdx: Int32Array;
}

let state: State | null = null;
/** The app's base URL (where data/ and kernels/ are served), from the init command. */
let appBase = self.location.href;
/** Settles when init (data, model, epoch-0 snapshot) is done: commands that train wait for it. */
let initDone: Promise<void> = Promise.resolve();
let engines: EngineRegistry | null = null;
/** The engine registry (model/engines.ts), made once appBase is known. */
const registry = (): EngineRegistry => (engines ??= browserEngineRegistry(appBase));

/** A lost GPU context/device: rebuild the engine (or fall back), restore the last good weights, go on. */
async function recoverFromContextLoss(s: State): Promise<void> {
  // The old trainer's GPU memory died with the context: rebuild from the CPU copy.
  const r = await recoverEngine(registry(), s.engine, s.model, s.modelOptions, s.lastGood.weights, s.threads);
  const info = withThreads(r.info, r.trainer);
  s.engineInfo = info;
  s.engine = r.entry.id;
  const redo = s.epoch + 1;
  restartFromLastGood(s, r.trainer);
  post({
    type: 'contextLost',
    engineInfo: info,
    message:
      `The GPU context was lost during epoch ${redo}. Weights were restored from the CPU copy of epoch ${s.epoch} ` +
      `and training continues on ${info.engine} (${engineBadgeText(info)})${info.fallbackReason ? ` (${info.fallbackReason})` : ''}. No finished epoch was lost.`,
  });
  postState(s, host(s));
}

/**
 * auto's re-check after the first epoch: this epoch's median ms/step against fresh steady-state
 * timings of the other engines; a clearly faster one takes over with exactly these weights.
 */
async function recheckAfterFirstEpoch(s: State, msPerStep: number): Promise<void> {
  const opts = s.modelOptions;
  const r = await recheckEngine(registry(), s.engine, msPerStep, opts, choiceBatch(s.config.batch, s.spec, s.dataset.train));
  if (!r) return;
  const from = s.engine;
  s.model = await swapTrainer(s.model, r.entry, opts, s.lastGood.weights, threadsFor(s, r.entry));
  s.engine = r.entry.id;
  s.engineInfo = withThreads(r.info, s.model);
  post({
    type: 'engineChanged',
    engineInfo: r.info,
    message: `auto re-checked the engines after epoch 1 and moved training from ${from} to ${r.entry.id} (${engineBadgeText(r.info)}), the weights carried over exactly, the optimiser state restarted. ${r.info.note ?? ''}`,
  });
}

/**
 * Resolves-never / rejects with ContextLostError once the engine's GPU context/device is lost. A read pending on
 * a dead context never settles, so the epoch is raced against this instead of awaited alone.
 */
function watchContextLoss(s: State): { lost: Promise<never>; stop: () => void } {
  let timer: ReturnType<typeof setInterval> | undefined;
  const lost = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (trainerLost(registry(), s.engine, s.model)) reject(new ContextLostError());
    }, 250);
  });
  lost.catch(() => undefined);
  return { lost, stop: () => clearInterval(timer) };
}

/** Threads to build `entry`'s trainers on: the run's count for a threaded engine, else 1. */
function threadsFor(s: State, entry: EngineEntry | undefined): number {
  return entry?.threaded ? (s.config.threads === 'auto' ? s.threads : s.config.threads) : 1;
}

/** Bumped when a context loss abandons an epoch: callbacks of the abandoned epoch go quiet. */
let generation = 0;

/** The worker as the run loop's host: posting, engine id, model rebuilds, the context-loss guard, auto's re-check. */
function host(s: State): LoopHost {
  return {
    post,
    engineId: () => s.engine,
    threads: () => trainerThreads(s.model),
    rebuildModel: () => buildModel(registry(), s.engine, s.modelOptions, threadsFor(s, registry()[s.engine])),
    numTensors: () => tf.memory().numTensors,
    beforeBatch: () => {
      // Checked before any op of the batch is issued: nothing runs on a dead context.
      if (trainerLost(registry(), s.engine, s.model)) throw new ContextLostError();
    },
    guardEpoch: async (train) => {
      const watch = canLoseContext(registry(), s.engine, s.model) ? watchContextLoss(s) : null;
      const gen = generation;
      try {
        await Promise.race([train(() => gen === generation), ...(watch ? [watch.lost] : [])]);
      } catch (e) {
        if (e instanceof ContextLostError || trainerLost(registry(), s.engine, s.model)) {
          generation++;
          await recoverFromContextLoss(s);
          return;
        }
        throw e;
      } finally {
        watch?.stop();
      }
    },
    afterEpoch: async (epoch, msPerStep) => {
      if (epoch === 1 && s.config.backend === 'auto' && s.lastGood.epoch === 1) await recheckAfterFirstEpoch(s, msPerStep);
    },
  };
}

async function start(
  config: RunConfig,
  dataUrl: string,
  resume?: { epoch: number; weights: NamedTensors },
  dataset?: MnistDataset,
): Promise<void> {
  post({ type: 'state', state: 'loading', epoch: resume?.epoch ?? 0, batch: 0, batches: 0, epochs: config.epochs });
  post({ type: 'progress', what: 'loading digits', fraction: 0 });
  const data = dataset ?? (await fetchMnistAsset(dataUrl, (f) => post({ type: 'progress', what: 'loading digits', fraction: f })));
  const run = await setUpRun({
    registry: registry(),
    config,
    dataset: data,
    cores: navigator.hardwareConcurrency || 1,
    resume: resume && { epoch: resume.epoch, weights: resume.weights as unknown as RnnWeights },
    progress: (what) => post({ type: 'progress', what, fraction: 0 }),
  });
  state?.model.dispose();
  state = { ...run.state, engineInfo: run.info, engine: run.entry.id, threads: run.threads, probeIdx: run.probe.indices };
  const probeInputs = run.probe.inputs;
  post(
    {
      type: 'ready',
      engineInfo: run.info,
      probe: run.probe.info,
      probeInputs,
      dataSource: data.source,
      trainSize: data.train.labels.length,
      testSize: data.test.labels.length,
    },
    [probeInputs.buffer],
  );
  await openRun(state, host(state), resume !== undefined);
}

function fail(e: unknown, what: string): void {
  if (state) state.lifecycle = 'failed';
  post({
    type: 'state',
    state: 'failed',
    epoch: state?.epoch ?? 0,
    batch: state?.batch ?? 0,
    batches: state?.batches ?? 0,
    epochs: state?.config.epochs ?? 0,
  });
  post({ type: 'error', message: `${what}: ${(e as Error)?.message ?? String(e)}`, fatal: true });
}

ctx.onmessage = (e: MessageEvent<TrainerCommand>) => {
  const cmd = e.data;
  switch (cmd.type) {
    case 'init':
      appBase = new URL('../', cmd.dataUrl).href;
      initDone = start(cmd.config, cmd.dataUrl, cmd.resume, cmd.dataset).catch((err) => fail(err, 'Could not start training'));
      break;
    case 'start':
    case 'step':
    case 'stepBatch':
    case 'pause':
    case 'pace':
    case 'extend':
      // Commands wait for init (a Start clicked while loading is acted on once the model exists).
      void initDone.then(() => {
        if (state) command(state, host(state), cmd);
      });
      break;
    case 'exportModel':
      // The weights of the last finished epoch, never those of an epoch in progress or paused
      // mid-way: an export pairs the snapshots with the weights that match them.
      if (!state) return;
      try {
        post({ type: 'model', json: JSON.stringify(modelJson(state.lastGood.weights, state.spec, state.config)) });
      } catch (err) {
        post({ type: 'error', message: `Could not export the model: ${(err as Error).message}`, fatal: false });
      }
      break;
    case 'poison':
      // Rehearsal of a divergence (tests, demos): a NaN in W_hh makes the next loss NaN.
      if (!state) return;
      void state.model.getWeights().then((w) => {
        const bad = { ...w, weight_hh_l0: { shape: w.weight_hh_l0.shape, data: Float32Array.from(w.weight_hh_l0.data) } };
        bad.weight_hh_l0.data[0] = NaN;
        state!.model.setWeights(bad);
      });
      break;
    case 'crash':
      setTimeout(() => {
        throw new Error('rehearsed worker crash');
      }, 0);
      break;
    case 'loseContext':
      if (!state || !loseEngineContext(registry(), state.engine, state.model))
        post({ type: 'error', message: 'This engine has no GPU context to lose.', fatal: false });
      break;
  }
};
