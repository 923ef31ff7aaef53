/// <reference lib="webworker" />
/**
 * The training worker: owns tfjs, the model and the dataset, off the UI thread.
 *
 * Per epoch: train (per-batch loss streamed, decimated) -> evaluate on the test split -> copy the
 * weights to the CPU -> post {metrics, weights}. The analysis happens in the analysis worker, so
 * training goes straight on. A CPU copy of the last good weights is kept for two failures:
 * divergence (NaN/Inf loss or weights: roll back, pause, explain) and a lost WebGL context
 * (rebuild the backend or fall back, restore, continue).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../core/formats/config';
import { deriveSeed } from '../core/rng';
import { encodeImages, encodingPermutation, probeIndices, sequenceSpec, type SequenceSpec } from '../data/encodings';
import { probeInfoFromDataset } from '../data/probeInfo';
import { datasetFromIdx, type IdxFiles } from '../data/idx';
import { fetchMnistAsset, type MnistDataset } from '../data/mnistAsset';
import { initBackend } from '../model/backend';
import { ContextLostError, isContextLost, loseContext, recoverBackend } from '../model/gpuContext';
import type { BackendInfo } from '../model/backend';
import { RnnModel, type RnnWeights } from '../model/rnn';
import { evaluateSplit, trainEpoch } from '../model/train';
import { modelJsonFromWeights } from '../model/export';
import type { NamedTensors, TrainerCommand, TrainerEvent } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: TrainerEvent, transfer: Transferable[] = []) => ctx.postMessage(ev, transfer);

/** Posting every batch would flood the UI at small T: at most this many batch points per epoch. */
const BATCH_POINTS_PER_EPOCH = 60;

interface State {
  config: RunConfig;
  dataset: MnistDataset;
  spec: SequenceSpec;
  model: RnnModel;
  backend: BackendInfo;
  epoch: number;
  /** 'paused' blocks between batches; 'stepping' finishes the current epoch then pauses. */
  mode: 'paused' | 'running' | 'stepping';
  /** CPU copy of the weights at the end of the last good epoch. */
  lastGood: { epoch: number; weights: RnnWeights };
  probeIdx: Int32Array;
  looping: boolean;
}

let state: State | null = null;
let resumeWaiters: (() => void)[] = [];

function wake(): void {
  const w = resumeWaiters;
  resumeWaiters = [];
  for (const f of w) f();
}

function buildModel(config: RunConfig, spec: SequenceSpec): RnnModel {
  return new RnnModel({
    inputSize: spec.D,
    hiddenSize: config.hidden,
    numClasses: 10,
    init: config.init,
    gain: config.gain,
    bias: config.bias === 1,
    seed: deriveSeed(config.seed, 'init'),
    optimizer: config.optimizer,
    lr: config.lr,
    clip: config.clip,
    reduction: config.reduction,
  });
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
  return evaluateSplit(s.model, s.dataset.test, s.spec, 500);
}

async function postEpoch(s: State, metrics: { trainLoss: number; trainAcc: number; msPerStep: number; epochMs: number }): Promise<void> {
  const test = await evaluateTest(s);
  const weights = await s.model.getWeights();
  const bad = allFinite(weights);
  if (bad !== null || !Number.isFinite(test.loss)) {
    await rollback(s, `the ${bad ?? 'test loss'} became NaN or infinite after epoch ${s.epoch}`);
    return;
  }
  s.lastGood = { epoch: s.epoch, weights };
  const named = toNamed(weights);
  post(
    {
      type: 'epoch',
      epoch: s.epoch,
      metrics: {
        trainLoss: metrics.trainLoss,
        trainAcc: metrics.trainAcc,
        testLoss: test.loss,
        testAcc: test.acc,
        msPerStep: metrics.msPerStep,
        epochMs: metrics.epochMs,
        analysisMs: NaN,
        numTensors: tf.memory().numTensors,
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
  s.model = buildModel(s.config, s.spec);
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

/** A lost WebGL context: rebuild (or fall back), restore the last good weights, go on. */
async function recoverFromContextLoss(s: State): Promise<void> {
  // The old model's textures died with the context: free what can be freed, rebuild from the CPU copy.
  try {
    s.model.dispose();
  } catch {
    /* textures of a lost context may refuse to be freed; nothing else to do */
  }
  const info = await recoverBackend(s.config.backend);
  s.backend = info;
  s.model = buildModel(s.config, s.spec);
  s.model.setWeights(s.lastGood.weights);
  const redo = s.epoch;
  s.epoch = s.lastGood.epoch;
  post({
    type: 'contextLost',
    backend: info,
    message:
      `The GPU context was lost during epoch ${redo}. Weights were restored from the CPU copy of epoch ${s.epoch} ` +
      `and training continues on ${info.backend}${info.fallbackReason ? ` (${info.fallbackReason})` : ''}. No finished epoch was lost.`,
  });
}

async function runOneEpoch(s: State): Promise<void> {
  s.epoch += 1;
  const epoch = s.epoch;
  const stepMs: number[] = [];
  const abort = new AbortController();
  let divergedAt: { batch: number; loss: number } | null = null;
  const steps = Math.ceil(Math.ceil(s.config.subset * s.dataset.train.labels.length) / s.config.batch);
  const every = Math.max(1, Math.floor(steps / BATCH_POINTS_PER_EPOCH));
  let r: Awaited<ReturnType<typeof trainEpoch>>;
  try {
    r = await trainEpoch(s.model, s.dataset.train, s.spec, {
    batchSize: s.config.batch,
    seed: s.config.seed,
    epoch,
    subset: s.config.subset,
    reportEvery: 1,
    signal: abort.signal,
    beforeBatch: async () => {
      while (s.mode === 'paused') await new Promise<void>((res) => resumeWaiters.push(res));
      // Checked before any op of the batch is issued: nothing runs on a dead context.
      if (isContextLost()) throw new ContextLostError();
    },
    onBatch: (b) => {
      stepMs.push(b.ms);
      if (!Number.isFinite(b.loss)) {
        divergedAt = { batch: b.batch, loss: b.loss };
        abort.abort();
        return;
      }
      if (b.batch % every === every - 1 || b.batch === b.batches - 1) {
        post({ type: 'batch', epoch, step: b.batch, stepsPerEpoch: b.batches, loss: b.loss });
      }
    },
    });
  } catch (e) {
    if (e instanceof ContextLostError || isContextLost()) {
      await recoverFromContextLoss(s);
      return;
    }
    throw e;
  }
  if (divergedAt !== null) {
    const d = divergedAt as { batch: number; loss: number };
    await rollback(s, `the training loss became ${d.loss} at batch ${d.batch + 1}`);
    return;
  }
  stepMs.sort((a, b) => a - b);
  const median = stepMs.length ? stepMs[Math.floor(stepMs.length / 2)] : NaN;
  await postEpoch(s, { trainLoss: r.loss, trainAcc: r.acc, msPerStep: median, epochMs: r.ms });
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
  post({ type: 'progress', what: 'starting the backend', fraction: 0 });
  const backend = await initBackend(config.backend);
  post({ type: 'progress', what: 'loading digits', fraction: 0 });
  const data = dataset ?? (await fetchMnistAsset(dataUrl, (f) => post({ type: 'progress', what: 'loading digits', fraction: f })));
  const perm = config.permute === 1 ? encodingPermutation(config.encoding, deriveSeed(config.seed, 'permutation')) : null;
  const spec = sequenceSpec(config.encoding, perm);
  const model = buildModel(config, spec);
  if (resume) model.setWeights(resume.weights as unknown as RnnWeights);
  const probeIdx = probeIndices(data, Math.min(config.probes, data.test.labels.length), deriveSeed(config.seed, 'probes'));
  const weights = await model.getWeights();
  state?.model.dispose();
  state = {
    config,
    dataset: data,
    spec,
    model,
    backend,
    epoch: resume?.epoch ?? 0,
    mode: 'paused',
    lastGood: { epoch: resume?.epoch ?? 0, weights },
    probeIdx,
    looping: false,
  };
  const probeInputs = encodeImages(data.test.images, probeIdx, spec);
  post(
    {
      type: 'ready',
      backend,
      probe: probeInfoFromDataset(data, spec, probeIdx),
      probeInputs,
      dataSource: data.source,
      trainSize: data.train.labels.length,
      testSize: data.test.labels.length,
    },
    [probeInputs.buffer],
  );
  if (!resume) await postEpoch(state, { trainLoss: NaN, trainAcc: NaN, msPerStep: NaN, epochMs: 0 });
  post({ type: 'state', running: false, epoch: state.epoch, done: state.epoch >= config.epochs });
}

function fail(e: unknown, what: string): void {
  post({ type: 'error', message: `${what}: ${(e as Error)?.message ?? String(e)}`, fatal: true });
}

const IDX_ROLES: [keyof IdxFiles, RegExp][] = [
  ['trainImages', /train-images/i],
  ['trainLabels', /train-labels/i],
  ['testImages', /t10k-images|test-images/i],
  ['testLabels', /t10k-labels|test-labels/i],
];

async function loadIdx(files: { name: string; buffer: ArrayBuffer }[]): Promise<void> {
  const found: Partial<IdxFiles> = {};
  for (const [role, re] of IDX_ROLES) {
    const f = files.find((x) => re.test(x.name));
    if (f) found[role] = f.buffer;
  }
  const missing = IDX_ROLES.filter(([role]) => !found[role]).map(([, re]) => re.source.split('|')[0]);
  if (missing.length) {
    throw new Error(
      `expected four IDX files (train-images, train-labels, t10k-images, t10k-labels; .gz allowed); missing: ${missing.join(', ')}. Got: ${files.map((f) => f.name).join(', ') || 'none'}`,
    );
  }
  const dataset = await datasetFromIdx(found as IdxFiles, files.map((f) => f.name).join(', '));
  if (!state) throw new Error('the trainer is not initialised');
  await start(state.config, '', undefined, dataset);
}

ctx.onmessage = (e: MessageEvent<TrainerCommand>) => {
  const cmd = e.data;
  switch (cmd.type) {
    case 'init':
      start(cmd.config, cmd.dataUrl, cmd.resume).catch((err) => fail(err, 'Could not start training'));
      break;
    case 'start':
      if (!state) return;
      state.mode = 'running';
      wake();
      loop(state);
      break;
    case 'step':
      if (!state) return;
      state.mode = 'stepping';
      wake();
      loop(state);
      break;
    case 'pause':
      if (state) state.mode = 'paused';
      break;
    case 'loadIdx':
      loadIdx(cmd.files).catch((err) => post({ type: 'error', message: `Could not load the IDX files: ${(err as Error).message}`, fatal: false }));
      break;
    case 'exportModel':
      if (!state) return;
      state.model
        .getWeights()
        .then((w) => post({ type: 'model', json: JSON.stringify(modelJsonFromWeights(w, state!.config, state!.spec)) }))
        .catch((err) => fail(err, 'Could not export the model'));
      break;
    case 'loseContext':
      if (!loseContext()) post({ type: 'error', message: 'This backend has no WebGL context to lose.', fatal: false });
      break;
  }
};
