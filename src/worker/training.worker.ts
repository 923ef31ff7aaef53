/// <reference lib="webworker" />
/**
 * The training worker: owns tfjs, the model and the dataset, off the UI thread.
 *
 * Per epoch: train (per-batch loss streamed, decimated) -> evaluate on the test split -> copy the
 * weights to the CPU -> post {metrics, weights}. The analysis happens in the analysis worker, so
 * training goes straight on. A CPU copy of the last good weights is kept for two failures:
 * divergence (NaN/Inf loss or weights: roll back, pause, explain) and a lost GPU context
 * (rebuild the engine or fall back, restore, continue). Which engine trains is model/engines.ts's choice.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../core/formats/config';
import { engineBadgeText, type EngineId } from '../core/engines';
import { specForConfig, type SequenceSpec } from '../data/encodings';
import { fixedProbeSet } from '../data/probeInfo';
import { fetchMnistAsset, type MnistDataset } from '../data/mnistAsset';
import { ContextLostError } from '../model/gpuContext';
import type { BackendInfo } from './protocol';
import type { RnnWeights } from '../model/rnn';
import { evaluateSplitWith, trainEpochWith, type Trainer } from '../model/trainer';
import { browserEngineRegistry } from '../model/browserEngines';
import {
  buildModel, canLoseContext, chooseEngine, choiceBatch, loseEngineContext, recheckEngine, recoverEngine, swapTrainer, trainerLost,
  type EngineRegistry,
} from '../model/engines';
import { runModelOptions, TEST_EVAL_BATCH } from '../model/runSetup';
import { modelJson } from '../model/export';
import type { NamedTensors, TrainerCommand, TrainerEvent } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: TrainerEvent, transfer: Transferable[] = []) => ctx.postMessage(ev, transfer);

/** Posting every batch would flood the UI at small T: at most this many batch points per epoch. */
const BATCH_POINTS_PER_EPOCH = 60;

interface State {
  config: RunConfig;
  dataset: MnistDataset;
  spec: SequenceSpec;
  model: Trainer;
  backend: BackendInfo;
  /** The engine training now (recorded in each epoch's metrics). */
  engine: EngineId;
  epoch: number;
  /** 'paused' blocks between batches; 'stepping' finishes the current epoch then pauses. */
  mode: 'paused' | 'running' | 'stepping';
  /** CPU copy of the weights at the end of the last good epoch. */
  lastGood: { epoch: number; weights: RnnWeights };
  probeIdx: Int32Array;
  looping: boolean;
}

let state: State | null = null;
/** The app's base URL (where data/ and kernels/ are served), from the init command. */
let appBase = self.location.href;
/** Settles when init (data, model, epoch-0 snapshot) is done: commands that train wait for it. */
let initDone: Promise<void> = Promise.resolve();
let resumeWaiters: (() => void)[] = [];
let engines: EngineRegistry | null = null;
/** The engine registry (model/engines.ts), made once appBase is known. */
const registry = (): EngineRegistry => (engines ??= browserEngineRegistry(appBase));

function wake(): void {
  const w = resumeWaiters;
  resumeWaiters = [];
  for (const f of w) f();
}

function toNamed(w: RnnWeights): NamedTensors {
  const out: NamedTensors = {};
  for (const [name, t] of Object.entries(w)) out[name] = { shape: t.shape.slice(), data: Float32Array.from(t.data) };
  return out;
}

function allFinite(w: RnnWeights): string | null {
  for (const [name, t] of Object.entries(w)) {
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return name;
  }
  return null;
}

async function evaluateTest(s: State): Promise<{ loss: number; acc: number }> {
  return evaluateSplitWith(s.model, s.dataset.test, s.spec, TEST_EVAL_BATCH);
}

async function postEpoch(s: State, epoch: number, metrics: { trainLoss: number; trainAcc: number; msPerStep: number; epochMs: number }): Promise<void> {
  const test = await evaluateTest(s);
  const weights = await s.model.getWeights();
  const bad = allFinite(weights);
  if (bad !== null || !Number.isFinite(test.loss)) {
    await rollback(s, `the ${bad ?? 'test loss'} became NaN or infinite after epoch ${epoch}`);
    return;
  }
  s.lastGood = { epoch, weights };
  const named = toNamed(weights);
  post(
    {
      type: 'epoch',
      epoch,
      metrics: {
        trainLoss: metrics.trainLoss,
        trainAcc: metrics.trainAcc,
        testLoss: test.loss,
        testAcc: test.acc,
        msPerStep: metrics.msPerStep,
        epochMs: metrics.epochMs,
        analysisMs: NaN,
        numTensors: tf.memory().numTensors,
        engine: s.engine,
      },
      weights: named,
    },
    Object.values(named).map((t) => t.data.buffer),
  );
}

/** Divergence: restore the last good epoch, rebuild the optimiser, pause, and say what to change. */
async function rollback(s: State, what: string): Promise<void> {
  const bad = s.epoch;
  s.model.dispose();
  s.model = await buildModel(registry(), s.engine, s.config, s.spec);
  s.model.setWeights(s.lastGood.weights);
  s.epoch = s.lastGood.epoch;
  s.mode = 'paused';
  post({
    type: 'diverged',
    epoch: bad,
    message:
      `Training diverged in epoch ${bad}: ${what}. Rolled back to the weights of epoch ${s.epoch} (optimiser state reset) and paused. ` +
      `Lower the learning rate (now ${s.config.lr}), enable gradient clipping (clip), or use a smaller init gain, then continue.`,
  });
  post({ type: 'state', running: false, epoch: s.epoch, done: false });
}

/** A lost GPU context/device: rebuild the engine (or fall back), restore the last good weights, go on. */
async function recoverFromContextLoss(s: State): Promise<void> {
  // The old trainer's GPU memory died with the context: rebuild from the CPU copy.
  const r = await recoverEngine(registry(), s.engine, s.model, runModelOptions(s.config, s.spec), s.lastGood.weights);
  const info = r.info;
  s.backend = info;
  s.engine = r.entry.id;
  s.model = r.trainer;
  const redo = s.epoch;
  s.epoch = s.lastGood.epoch;
  post({
    type: 'contextLost',
    backend: info,
    message:
      `The GPU context was lost during epoch ${redo}. Weights were restored from the CPU copy of epoch ${s.epoch} ` +
      `and training continues on ${info.engine} (${engineBadgeText(info)})${info.fallbackReason ? ` (${info.fallbackReason})` : ''}. No finished epoch was lost.`,
  });
}

/**
 * auto's re-check after the first epoch: this epoch's median ms/step against fresh steady-state
 * timings of the other engines; a clearly faster one takes over with exactly these weights.
 */
async function recheckAfterFirstEpoch(s: State, msPerStep: number): Promise<void> {
  const opts = runModelOptions(s.config, s.spec);
  const r = await recheckEngine(registry(), s.engine, msPerStep, opts, choiceBatch(s.config.batch, s.spec, s.dataset.train));
  if (!r) return;
  const from = s.engine;
  s.model = await swapTrainer(s.model, r.entry, opts, s.lastGood.weights);
  s.engine = r.entry.id;
  s.backend = r.info;
  post({
    type: 'engineChanged',
    backend: r.info,
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

/** Bumped when a context loss abandons an epoch: callbacks of the abandoned epoch go quiet. */
let generation = 0;

async function runOneEpoch(s: State): Promise<void> {
  const watch = canLoseContext(registry(), s.engine, s.model) ? watchContextLoss(s) : null;
  const gen = generation;
  try {
    await Promise.race([trainAndPostEpoch(s, gen), ...(watch ? [watch.lost] : [])]);
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
}

async function trainAndPostEpoch(s: State, gen: number): Promise<void> {
  s.epoch += 1;
  const epoch = s.epoch;
  const stepMs: number[] = [];
  const abort = new AbortController();
  let divergedAt: { batch: number; loss: number } | null = null;
  const steps = Math.ceil(Math.ceil(s.config.subset * s.dataset.train.labels.length) / s.config.batch);
  const every = Math.max(1, Math.floor(steps / BATCH_POINTS_PER_EPOCH));
  const r = await trainEpochWith(s.model, s.dataset.train, s.spec, {
    batchSize: s.config.batch,
    seed: s.config.seed,
    epoch,
    subset: s.config.subset,
    signal: abort.signal,
    beforeBatch: async () => {
      while (s.mode === 'paused') await new Promise<void>((res) => resumeWaiters.push(res));
      // Checked before any op of the batch is issued: nothing runs on a dead context.
      if (trainerLost(registry(), s.engine, s.model)) throw new ContextLostError();
    },
    onBatch: (b) => {
      stepMs.push(b.ms);
      if (!Number.isFinite(b.loss)) {
        divergedAt = { batch: b.batch, loss: b.loss };
        abort.abort();
        return;
      }
      if (gen !== generation) return;
      if (b.batch % every === every - 1 || b.batch === b.batches - 1) {
        post({ type: 'batch', epoch, step: b.batch, stepsPerEpoch: b.batches, loss: b.loss });
      }
    },
  });
  if (gen !== generation) return;
  if (divergedAt !== null) {
    const d = divergedAt as { batch: number; loss: number };
    await rollback(s, `the training loss became ${d.loss} at batch ${d.batch + 1}`);
    return;
  }
  stepMs.sort((a, b) => a - b);
  const median = stepMs.length ? stepMs[Math.floor(stepMs.length / 2)] : NaN;
  if (gen !== generation) return;
  await postEpoch(s, epoch, { trainLoss: r.loss, trainAcc: r.acc, msPerStep: median, epochMs: r.ms });
  if (epoch === 1 && s.config.backend === 'auto' && s.lastGood.epoch === 1 && gen === generation) await recheckAfterFirstEpoch(s, median);
}

async function loop(s: State): Promise<void> {
  if (s.looping) return;
  s.looping = true;
  try {
    while (s.mode !== 'paused' && s.epoch < s.config.epochs) {
      post({ type: 'state', running: true, epoch: s.epoch, done: false });
      await runOneEpoch(s);
      if (s.mode === 'stepping') s.mode = 'paused';
    }
  } catch (e) {
    s.mode = 'paused';
    post({ type: 'error', message: `Training stopped: ${(e as Error).message}`, fatal: false });
  } finally {
    s.looping = false;
  }
  const done = s.epoch >= s.config.epochs;
  if (done) s.mode = 'paused';
  post({ type: 'state', running: false, epoch: s.epoch, done });
}

async function start(config: RunConfig, dataUrl: string, resume?: { epoch: number; weights: NamedTensors }, dataset?: MnistDataset): Promise<void> {
  post({ type: 'progress', what: 'loading digits', fraction: 0 });
  const data = dataset ?? (await fetchMnistAsset(dataUrl, (f) => post({ type: 'progress', what: 'loading digits', fraction: f })));
  const spec = specForConfig(config.encoding, config.permute, config.seed);
  post({ type: 'progress', what: config.backend === 'auto' ? 'timing the engines' : 'starting the engine', fraction: 0 });
  const chosen = await chooseEngine(registry(), config.backend, runModelOptions(config, spec), choiceBatch(config.batch, spec, data.train));
  const engine = chosen.entry.id;
  const backend = chosen.info;
  const model = await buildModel(registry(), engine, config, spec);
  if (resume) model.setWeights(resume.weights as unknown as RnnWeights);
  const probeSet = fixedProbeSet(data, spec, config.probes, config.seed);
  const probeIdx = probeSet.indices;
  const weights = await model.getWeights();
  state?.model.dispose();
  state = {
    config,
    dataset: data,
    spec,
    model,
    backend,
    engine,
    epoch: resume?.epoch ?? 0,
    mode: 'paused',
    lastGood: { epoch: resume?.epoch ?? 0, weights },
    probeIdx,
    looping: false,
  };
  const probeInputs = probeSet.inputs;
  post(
    {
      type: 'ready',
      backend,
      probe: probeSet.info,
      probeInputs,
      dataSource: data.source,
      trainSize: data.train.labels.length,
      testSize: data.test.labels.length,
    },
    [probeInputs.buffer],
  );
  if (!resume) await postEpoch(state, 0, { trainLoss: NaN, trainAcc: NaN, msPerStep: NaN, epochMs: 0 });
  post({ type: 'state', running: false, epoch: state.epoch, done: state.epoch >= config.epochs });
}

function fail(e: unknown, what: string): void {
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
      void initDone.then(() => {
        if (!state) return;
        state.mode = cmd.type === 'start' ? 'running' : 'stepping';
        wake();
        void loop(state);
      });
      break;
    case 'pause':
      if (state) state.mode = 'paused';
      break;
    case 'exportModel':
      if (!state) return;
      state.model
        .getWeights()
        .then((w) => post({ type: 'model', json: JSON.stringify(modelJson(w, state!.spec, state!.config)) }))
        .catch((err) => fail(err, 'Could not export the model'));
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
      if (!state || !loseEngineContext(registry(), state.engine, state.model)) post({ type: 'error', message: 'This engine has no GPU context to lose.', fatal: false });
      break;
  }
};
