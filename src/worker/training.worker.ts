/// <reference lib="webworker" />
/**
 * The training worker: owns tfjs, the model and the dataset, off the UI thread.
 *
 * The run loop (epochs, pause/resume/step, divergence rollback, the lifecycle and its
 * acknowledgements) lives in runLoop.ts; this file adds what only a worker has: loading data,
 * choosing the engine, the message handler, and surviving a lost WebGL context (rebuild the
 * backend or fall back, restore the CPU copy of the last good epoch, continue).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../core/formats/config';
import type { EngineId } from '../core/snapshot';
import { deriveSeed } from '../core/rng';
import { encodeImages, encodingPermutation, probeIndices, sequenceSpec, type SequenceSpec } from '../data/encodings';
import { probeInfoFromDataset } from '../data/probeInfo';
import { fetchMnistAsset, type MnistDataset } from '../data/mnistAsset';
import { initBackend } from '../model/backend';
import { ContextLostError, isContextLost, loseContext, recoverBackend } from '../model/gpuContext';
import type { BackendInfo } from './protocol';
import { apply, command, createLoopState, postEpoch, postState, restartFromLastGood, type LoopHost, type LoopState } from './runLoop';
import type { RnnWeights } from '../model/rnn';
import type { RnnModelOptions } from '../model/rnn';
import { fastTrainer, tfjsTrainer, type Trainer } from '../model/trainer';
import { calibrateTrainers } from '../model/fast/calibrate';
import { createJsKernels } from '../model/fast/kernels';
import { createWasmKernels, wasmSimdSupported } from '../model/fast/wasmKernels';
import type { FastKernels } from '../model/fast/kernels';
import { modelJson } from '../model/export';
import type { NamedTensors, TrainerCommand, TrainerEvent } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: TrainerEvent, transfer: Transferable[] = []) => ctx.postMessage(ev, transfer);


interface State extends LoopState {
  backend: BackendInfo;
  /** Which engine trains: tfjs (on `backend`) or the hand-written fast engine. */
  engine: Engine;
  probeIdx: Int32Array;
}

let state: State | null = null;
/** The app's base URL (where data/ and kernels/ are served), from the init command. */
let appBase = self.location.href;
/** Settles when init (data, model, epoch-0 snapshot) is done: commands that train wait for it. */
let initDone: Promise<void> = Promise.resolve();

type Engine = { kind: 'tfjs' } | { kind: 'fast'; kernels: FastKernels };

/** The engine now training, as recorded in each epoch's metrics. */
function engineId(s: State): EngineId {
  if (s.engine.kind === 'fast') return s.backend.backend === 'wasm' ? 'fast-wasm-simd' : 'fast-js';
  return `tfjs-${s.backend.backend}`;
}

function modelOptions(config: RunConfig, spec: SequenceSpec): RnnModelOptions {
  return {
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
  };
}

function buildModel(config: RunConfig, spec: SequenceSpec, engine: Engine): Trainer {
  const o = modelOptions(config, spec);
  return engine.kind === 'fast' ? fastTrainer(o, engine.kernels) : tfjsTrainer(o);
}

/** The hand-written engine's kernels: WASM SIMD served by the app, else plain JS. */
async function fastKernels(): Promise<{ kernels: FastKernels; simd: boolean; why?: string }> {
  if (!wasmSimdSupported()) return { kernels: createJsKernels(), simd: false, why: 'WebAssembly SIMD is not available' };
  try {
    const res = await fetch(new URL('kernels/fast_rnn.wasm', appBase).href);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return { kernels: await createWasmKernels(await res.arrayBuffer()), simd: true };
  } catch (e) {
    return { kernels: createJsKernels(), simd: false, why: `the WASM kernels did not load (${(e as Error).message})` };
  }
}

function fastInfo(simd: boolean, why?: string): BackendInfo {
  return simd
    ? { backend: 'wasm', renderer: 'FTLE Lab fast engine (hand-written BPTT, WASM SIMD)', floatPrecision: 32, ...(why ? { fallbackReason: why } : {}) }
    : { backend: 'cpu', renderer: 'FTLE Lab fast engine (hand-written BPTT, JS)', floatPrecision: 32, ...(why ? { fallbackReason: why } : {}) };
}

/** WebGL renderers that are CPU rasterisers (headless Chromium, VMs, GPU blocklists). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/**
 * Picks the training engine for a backend preference:
 * - webgl / cpu: tfjs on that backend (webgl falls back to wasm, then cpu);
 * - wasm: the fast engine (WASM SIMD kernels; plain JS without SIMD);
 * - auto: times 3 real training steps of the fast engine and of tfjs (webgl when usable) on this
 *   very configuration and keeps the faster (software WebGL loses to the fast engine; a real GPU
 *   with a large model may win).
 */
async function chooseEngine(config: RunConfig, spec: SequenceSpec, data: MnistDataset): Promise<{ engine: Engine; backend: BackendInfo }> {
  if (config.backend === 'webgl' || config.backend === 'cpu') {
    return { engine: { kind: 'tfjs' }, backend: await initBackend(config.backend) };
  }
  const fast = await fastKernels();
  if (config.backend === 'wasm') return { engine: { kind: 'fast', kernels: fast.kernels }, backend: fastInfo(fast.simd, fast.why) };
  let tfjsInfo: BackendInfo | null = null;
  try {
    tfjsInfo = await initBackend('webgl');
  } catch {
    tfjsInfo = null;
  }
  const B = Math.min(config.batch, data.train.labels.length);
  const idx = Int32Array.from({ length: B }, (_, i) => i);
  const x = encodeImages(data.train.images, idx, spec);
  const y = Int32Array.from(idx, (i) => data.train.labels[i]);
  post({ type: 'progress', what: 'calibrating the engines', fraction: 0 });
  const fastModel = buildModel(config, spec, { kind: 'fast', kernels: fast.kernels });
  const fastRun = await calibrateTrainers([{ name: 'fast', step: () => fastModel.trainBatch(x, y, B, spec.T, spec.D) }], 2, 1);
  fastModel.dispose();
  const msPerStep: Record<string, number> = { ...fastRun.msPerStep };
  let skipped = '';
  if (tfjsInfo && tfjsInfo.backend === 'webgl' && SOFTWARE_RENDERER.test(tfjsInfo.renderer)) {
    // A software rasteriser runs tfjs 30-300x slower than the fast engine here (docs/performance.md);
    // its first step at T = 784, N = 512 alone takes minutes, so it is not even timed.
    skipped = `tfjs webgl on a software renderer (${tfjsInfo.renderer}) not timed`;
  } else if (tfjsInfo) {
    const tfModel = buildModel(config, spec, { kind: 'tfjs' });
    try {
      // A first tfjs step (shader compilation included) far slower than the fast engine cannot win:
      // skip its timed steps, which at T = 784 on software WebGL would take minutes.
      const t0 = performance.now();
      await tfModel.trainBatch(x, y, B, spec.T, spec.D);
      const first = performance.now() - t0;
      if (first > 20 * msPerStep.fast + 500) skipped = `tfjs ${tfjsInfo.backend} ${first.toFixed(0)} ms for its first step, not timed further`;
      else Object.assign(msPerStep, (await calibrateTrainers([{ name: 'tfjs', step: () => tfModel.trainBatch(x, y, B, spec.T, spec.D) }], 2, 0)).msPerStep);
    } catch (e) {
      skipped = `tfjs ${tfjsInfo.backend} failed: ${(e as Error).message}`;
    } finally {
      tfModel.dispose();
    }
  }
  const result = { best: msPerStep.tfjs !== undefined && msPerStep.tfjs < msPerStep.fast ? 'tfjs' : 'fast', msPerStep };
  const timing =
    Object.entries(result.msPerStep).map(([k, v]) => `${k === 'fast' ? 'fast engine' : `tfjs ${tfjsInfo?.backend}`} ${v.toFixed(1)} ms/step`).join(', ') +
    (skipped ? `, ${skipped}` : '');
  if (result.best === 'tfjs' && tfjsInfo) return { engine: { kind: 'tfjs' }, backend: { ...tfjsInfo, note: `auto: ${timing}` } };
  return { engine: { kind: 'fast', kernels: fast.kernels }, backend: { ...fastInfo(fast.simd, fast.why), note: `auto: ${timing}` } };
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
  const redo = s.epoch + 1;
  restartFromLastGood(s, buildModel(s.config, s.spec, s.engine));
  post({
    type: 'contextLost',
    backend: info,
    message:
      `The GPU context was lost during epoch ${redo}. Weights were restored from the CPU copy of epoch ${s.epoch} ` +
      `and training continues on ${info.backend}${info.fallbackReason ? ` (${info.fallbackReason})` : ''}. No finished epoch was lost.`,
  });
  postState(s, host(s));
}

/**
 * Resolves-never / rejects with ContextLostError once the WebGL context is lost. A read pending on
 * a dead context never settles, so the epoch is raced against this instead of awaited alone.
 */
function watchContextLoss(): { lost: Promise<never>; stop: () => void } {
  let timer: ReturnType<typeof setInterval> | undefined;
  const lost = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (isContextLost()) reject(new ContextLostError());
    }, 250);
  });
  lost.catch(() => undefined);
  return { lost, stop: () => clearInterval(timer) };
}

/** Bumped when a context loss abandons an epoch: callbacks of the abandoned epoch go quiet. */
/** Bumped when a context loss abandons an epoch: callbacks of the abandoned epoch go quiet. */
let generation = 0;

/** The worker as the run loop's host: posting, engine id, model rebuilds and the context-loss guard. */
function host(s: State): LoopHost {
  return {
    post,
    engineId: () => engineId(s),
    rebuildModel: () => buildModel(s.config, s.spec, s.engine),
    numTensors: () => tf.memory().numTensors,
    checkBeforeBatch: () => {
      if (isContextLost()) throw new ContextLostError();
    },
    guardEpoch: async (train) => {
      const watch = s.engine.kind === 'tfjs' && s.backend.backend === 'webgl' ? watchContextLoss() : null;
      const gen = generation;
      try {
        await Promise.race([train(() => gen === generation), ...(watch ? [watch.lost] : [])]);
      } catch (e) {
        if (e instanceof ContextLostError || isContextLost()) {
          generation++;
          await recoverFromContextLoss(s);
          return;
        }
        throw e;
      } finally {
        watch?.stop();
      }
    },
  };
}

async function start(config: RunConfig, dataUrl: string, resume?: { epoch: number; weights: NamedTensors }, dataset?: MnistDataset): Promise<void> {
  post({ type: 'state', state: 'loading', epoch: resume?.epoch ?? 0, batch: 0, batches: 0, epochs: config.epochs });
  post({ type: 'progress', what: 'loading digits', fraction: 0 });
  const data = dataset ?? (await fetchMnistAsset(dataUrl, (f) => post({ type: 'progress', what: 'loading digits', fraction: f })));
  const perm = config.permute === 1 ? encodingPermutation(config.encoding, config.seed) : null;
  const spec = sequenceSpec(config.encoding, perm);
  post({ type: 'progress', what: 'starting the backend', fraction: 0 });
  const { engine, backend } = await chooseEngine(config, spec, data);
  const model = buildModel(config, spec, engine);
  if (resume) model.setWeights(resume.weights as unknown as RnnWeights);
  const probeIdx = probeIndices(data, Math.min(config.probes, data.test.labels.length), deriveSeed(config.seed, 'probes'));
  const weights = await model.getWeights();
  state?.model.dispose();
  state = { ...createLoopState({ config, dataset: data, spec, model, epoch: resume?.epoch ?? 0, weights }), backend, engine, probeIdx };
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
  if (!resume) await postEpoch(state, host(state), 0, { trainLoss: NaN, trainAcc: NaN, msPerStep: NaN, epochMs: 0 });
  apply(state, host(state), { type: 'loaded', done: state.epoch >= config.epochs, resumed: resume !== undefined });
}

function fail(e: unknown, what: string): void {
  if (state) state.lifecycle = 'failed';
  post({ type: 'state', state: 'failed', epoch: state?.epoch ?? 0, batch: state?.batch ?? 0, batches: state?.batches ?? 0, epochs: state?.config.epochs ?? 0 });
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
    case 'pause':
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
      if (!loseContext()) post({ type: 'error', message: 'This backend has no WebGL context to lose.', fatal: false });
      break;
  }
};
