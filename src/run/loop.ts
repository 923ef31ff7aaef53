/**
 * The one epoch loop of every run: the page's first seed (worker/training.worker.ts), the page's
 * background seeds (worker/seeds.worker.ts, through headless.ts) and `ftle-lab run` (cli/runCommand.ts,
 * through headless.ts) all train here. Engine-agnostic and free of worker globals, so it runs (and
 * is tested) in Node: epochs of trainEpochWith, each evaluated on the test split, checked for
 * divergence and handed on as an `epoch` event (the host analyses it); the lifecycle (lifecycle.ts)
 * driven and acknowledged with a `state` event at every change; pause at the next batch boundary,
 * resume of the same epoch from the same batch, step, extend, pace, stop, and divergence rollback.
 *
 * Pause suspends the epoch in `beforeBatch` (its shuffle order, accumulators and optimiser state
 * stay where they were), so a paused-and-resumed epoch is the very same computation as an
 * uninterrupted one: bit for bit the same weights (test/unit/runLoop.test.ts).
 */
import type { RunConfig } from '../core/formats/config';
import type { EpochMetrics } from '../core/snapshot';
import type { EngineId } from '../core/engines';
import { median } from '../core/stats/descriptive';
import type { MnistDataset } from '../data/mnistAsset';
import type { SequenceSpec } from '../data/encodings';
import type { RnnWeights } from '../model/init';
import type { ResolvedModelOptions } from '../model/modelOptions';
import { evaluateSplitWith, trainEpochWith, type Trainer } from '../model/trainer';
import { TEST_EVAL_BATCH, type RunOptions } from './options';
import { transition, type LifecycleEvent, type LifecycleState } from './lifecycle';

/** Weights as PyTorch-named tensors (row-major Float32Array data), as an epoch hands them on. */
export type NamedTensors = Record<string, { shape: number[]; data: Float32Array }>;

/** What the loop tells its host (the training worker posts these to the page as they are). */
export type RunEvent =
  /**
   * The lifecycle state, posted at every change and in answer to every command: `epoch` epochs
   * are complete, `batch` of the `batches` of the next one are trained (where a pause stopped),
   * `epochs` is the target.
   */
  | { type: 'state'; state: LifecycleState; epoch: number; batch: number; batches: number; epochs: number }
  | { type: 'batch'; epoch: number; step: number; stepsPerEpoch: number; loss: number }
  /** A finished epoch: evaluated, its weights finite; the host hands it to the analysis. */
  | { type: 'epoch'; epoch: number; metrics: EpochMetrics; weights: NamedTensors }
  /**
   * Epoch `epoch` diverged and was rolled back (paused). `cause`: what went wrong ("the training
   * loss became NaN at batch 3 of epoch 2"); `message`: that and what to change, for the page.
   */
  | { type: 'diverged'; epoch: number; message: string; cause: string }
  | { type: 'error'; message: string; fatal: boolean };

/** Thrown at a batch boundary after a stop command: abandons the epoch in progress, quietly. */
class StopRun extends Error {}

/** Posting every batch would flood the UI at small T: at most this many batch points per epoch. */
const BATCH_POINTS_PER_EPOCH = 60;

/** Everything the loop owns. `epoch` counts completed epochs; `batch` the batches done of the next. */
export interface LoopState {
  /** The run's config; `epochs` changes with an extend command. */
  config: RunConfig;
  dataset: MnistDataset;
  spec: SequenceSpec;
  /** The engines' options, resolved once (run/options.ts): what rebuildModel builds from. */
  modelOptions: ResolvedModelOptions;
  model: Trainer;
  epoch: number;
  /** Batches of epoch `epoch + 1` already trained (0 between epochs); where a pause stopped. */
  batch: number;
  /** Batches per epoch (from config.subset and batch size). */
  batches: number;
  lifecycle: LifecycleState;
  /** 'step': the current epoch is the last one asked for. */
  stepping: boolean;
  /** 'stepBatch': batches still to train before pausing (null: no batch step in progress). */
  batchesLeft: number | null;
  /** Slow motion: milliseconds of wait before each batch (0: full speed). Never changes a number. */
  paceMs: number;
  /** CPU copy of the weights at the end of the last good epoch (rollback, context loss). */
  lastGood: { epoch: number; weights: RnnWeights };
  looping: boolean;
  /** A stop command came: the loop ends at the next batch boundary, the epoch in progress is dropped. */
  stopped: boolean;
  /** Why the loop failed (lifecycle 'failed'), for a host that reports it itself; null otherwise. */
  failure: Error | null;
  /** Resolvers of a loop suspended by a pause. */
  waiters: (() => void)[];
}

/** What the loop needs from its host (the worker, or a test). */
export interface LoopHost {
  post(ev: RunEvent, transfer?: Transferable[]): void;
  /** The engine training now, recorded in each epoch's metrics. */
  engineId(): EngineId;
  /** Threads the engine trains on now, recorded in each epoch's metrics (absent: 1). */
  threads?(): number;
  /** A fresh model with the run's options (divergence resets the optimiser). */
  rebuildModel(): Trainer | Promise<Trainer>;
  /** Live tensors (tfjs leak check in the metrics); 0 where there is no tfjs. */
  numTensors(): number;
  /**
   * Awaited before every batch, after the loop's own pause: may throw to abandon the epoch (a lost
   * WebGL context) or hold the batch (the background seeds' gate: they pause with the main run).
   */
  beforeBatch?(): void | Promise<void>;
  /** Epoch `epoch` is being evaluated on the test split (a progress display). */
  evaluating?(epoch: number): void;
  /**
   * Runs one epoch's training; the worker races it against a context-loss watch and recovers.
   * `alive()` turns false when the host abandoned the epoch: its callbacks must then go quiet.
   */
  guardEpoch?(train: (alive: () => boolean) => Promise<void>): Promise<void>;
  /** After epoch `epoch` is posted (auto's engine re-check after epoch 1), with its median ms/step. */
  afterEpoch?(epoch: number, msPerStep: number): Promise<void>;
}

/** Batches per epoch for a config on a training split of `n` digits. */
export function batchesPerEpoch(config: RunConfig, n: number): number {
  return Math.ceil(Math.max(1, Math.min(n, Math.ceil(config.subset * n))) / config.batch);
}

/** A new loop state, paused before epoch `epoch + 1` ('loading' until the host reports loaded). */
export function createLoopState(o: {
  options: RunOptions;
  dataset: MnistDataset;
  model: Trainer;
  epoch: number;
  weights: RnnWeights;
}): LoopState {
  return {
    config: o.options.config,
    dataset: o.dataset,
    spec: o.options.spec,
    modelOptions: o.options.model,
    model: o.model,
    epoch: o.epoch,
    batch: 0,
    batches: batchesPerEpoch(o.options.config, o.dataset.train.labels.length),
    lifecycle: 'loading',
    stepping: false,
    batchesLeft: null,
    paceMs: 0,
    lastGood: { epoch: o.epoch, weights: o.weights },
    looping: false,
    stopped: false,
    failure: null,
    waiters: [],
  };
}

/** Acknowledges the loop's state to the page. */
export function postState(s: LoopState, host: LoopHost): void {
  host.post({ type: 'state', state: s.lifecycle, epoch: s.epoch, batch: s.batch, batches: s.batches, epochs: s.config.epochs });
}

/** Applies a lifecycle event; posts the new state when it changed. Returns false when refused. */
export function apply(s: LoopState, host: LoopHost, ev: LifecycleEvent): boolean {
  const next = transition(s.lifecycle, ev);
  if (next === null) return false;
  const changed = next !== s.lifecycle;
  s.lifecycle = next;
  if (changed) postState(s, host);
  return true;
}

/** The loop's inputs: the page's buttons, slow motion, a headless run's stop. */
export type LoopCommand =
  | { type: 'start' | 'step' | 'stepBatch' | 'pause' | 'stop' }
  | { type: 'extend'; epochs: number }
  | { type: 'pace'; msPerBatch: number };

function wake(s: LoopState): void {
  const w = s.waiters;
  s.waiters = [];
  for (const f of w) f();
}

/**
 * A user command. start/step: (re)enter training and run the loop (or wake the paused epoch);
 * stepBatch: train one batch, then pause; pause: 'pausing' now, 'paused' at the next batch
 * boundary; extend: a new epoch target `epochs` (a finished run becomes paused, ready to continue);
 * pace: slow motion, `msPerBatch` of wait before each batch (0: full speed); stop: end the loop at
 * the next batch boundary for good (the epoch in progress is dropped; a headless run's Ctrl-C).
 * Refused commands re-post the current state, so the page always learns what the worker is doing.
 */
export function command(s: LoopState, host: LoopHost, cmd: LoopCommand): Promise<void> {
  const none = Promise.resolve();
  if (cmd.type === 'stop') {
    s.stopped = true;
    wake(s);
    return none;
  }
  if (cmd.type === 'pace') {
    s.paceMs = Number.isFinite(cmd.msPerBatch) ? Math.min(10_000, Math.max(0, cmd.msPerBatch)) : 0;
    return none;
  }
  if (cmd.type === 'extend') {
    // A target below an epoch already trained (or in progress) is refused: nothing trained is undone.
    if (cmd.epochs >= s.epoch + (s.batch > 0 ? 1 : 0)) {
      s.config = { ...s.config, epochs: cmd.epochs };
      if (s.lifecycle === 'done' && s.epoch < cmd.epochs) s.lifecycle = transition(s.lifecycle, { type: 'extend' }) ?? s.lifecycle;
      else if ((s.lifecycle === 'ready' || s.lifecycle === 'paused') && s.epoch >= cmd.epochs) s.lifecycle = 'done';
    }
    postState(s, host);
    return none;
  }
  if (!apply(s, host, { type: cmd.type })) {
    postState(s, host);
    return none;
  }
  if (cmd.type === 'pause') {
    s.batchesLeft = null;
    return none;
  }
  s.stepping = cmd.type === 'step';
  s.batchesLeft = cmd.type === 'stepBatch' ? 1 : null;
  wake(s);
  // A paused epoch woken above goes on in the loop already running: that loop's promise is not this one.
  return loop(s, host);
}

/**
 * Opens a set-up run's loop: a fresh run hands on epoch 0 (the initial weights, evaluated), then
 * the lifecycle learns the run is loaded (ready; paused when resumed; done when nothing is left
 * to train). False when epoch 0 diverged (rolled back, the host was told).
 */
export async function openRun(s: LoopState, host: LoopHost, resumed: boolean): Promise<boolean> {
  const ok = resumed || (await postEpoch(s, host, 0, { trainLoss: NaN, trainAcc: NaN, msPerStep: NaN, epochMs: 0 }));
  apply(s, host, { type: 'loaded', done: s.epoch >= s.config.epochs, resumed });
  return ok;
}

/** Trains epochs until paused, done, diverged or failed. One loop at a time per state. */
export async function loop(s: LoopState, host: LoopHost): Promise<void> {
  if (s.looping) return;
  s.looping = true;
  try {
    while (!s.stopped && (s.lifecycle === 'training' || s.lifecycle === 'pausing')) {
      if (s.lifecycle === 'pausing' && s.batch === 0) {
        apply(s, host, { type: 'paused' });
        break;
      }
      if (s.epoch >= s.config.epochs) {
        s.lifecycle = 'done';
        postState(s, host);
        break;
      }
      const train = (alive: () => boolean) => trainAndPostEpoch(s, host, alive);
      await (host.guardEpoch ? host.guardEpoch(train) : train(() => true));
    }
  } catch (e) {
    if (e instanceof StopRun) return;
    s.failure = e as Error;
    apply(s, host, { type: 'fail' });
    host.post({
      type: 'error',
      message: `Training stopped: ${(e as Error).message}. Use "Restart worker" to continue from the last epoch.`,
      fatal: false,
    });
  } finally {
    s.looping = false;
  }
}

/** Trains epoch `s.epoch + 1` from batch `s.batch` (pauses inside it), evaluates and posts it. */
async function trainAndPostEpoch(s: LoopState, host: LoopHost, alive: () => boolean): Promise<void> {
  const epoch = s.epoch + 1;
  const stepMs: number[] = [];
  const abort = new AbortController();
  let divergedAt: { batch: number; loss: number } | null = null;
  const every = Math.max(1, Math.floor(s.batches / BATCH_POINTS_PER_EPOCH));
  const r = await trainEpochWith(s.model, s.dataset.train, s.spec, {
    batchSize: s.config.batch,
    seed: s.config.seed,
    epoch,
    subset: s.config.subset,
    signal: abort.signal,
    beforeBatch: async () => {
      if (!alive()) throw new Error('epoch abandoned');
      if (s.stopped) throw new StopRun();
      for (;;) {
        // Slow motion waits before the batch, where a pause can still take effect.
        if (s.paceMs > 0 && s.lifecycle === 'training') await new Promise<void>((res) => setTimeout(res, s.paceMs));
        // The batch boundary: a requested pause takes effect here and is acknowledged.
        if (s.lifecycle === 'pausing') apply(s, host, { type: 'paused' });
        if (s.lifecycle !== 'paused') break;
        while (s.lifecycle === 'paused' && !s.stopped) await new Promise<void>((res) => s.waiters.push(res));
        if (s.stopped) throw new StopRun();
        // Resumed: the batch waits its slow-motion time after the pause too (slow motion chosen
        // while paused applied to no wait at all, so 5 batches could finish in 4 waits).
      }
      if (!alive()) throw new Error('epoch abandoned');
      // Checked before any op of the batch is issued: nothing runs on a dead context.
      await host.beforeBatch?.();
      if (s.stopped) throw new StopRun();
      if (!alive()) throw new Error('epoch abandoned');
    },
    onBatch: (b) => {
      stepMs.push(b.ms);
      if (!Number.isFinite(b.loss)) {
        divergedAt = { batch: b.batch, loss: b.loss };
        abort.abort();
        return;
      }
      if (!alive()) return;
      s.batch = b.batch + 1;
      // Batch by batch (a batch step, slow motion) every batch is worth a point; else decimated.
      const watched = s.paceMs > 0 || s.batchesLeft !== null;
      if (watched || b.batch % every === every - 1 || b.batch === b.batches - 1) {
        host.post({ type: 'batch', epoch, step: b.batch, stepsPerEpoch: b.batches, loss: b.loss });
      }
      if (s.batchesLeft !== null && --s.batchesLeft <= 0) {
        // The batch step is done: pause at the next boundary (or at the end of this epoch).
        s.batchesLeft = null;
        apply(s, host, { type: 'pause' });
      }
    },
  });
  if (!alive()) return;
  if (divergedAt !== null) {
    const d = divergedAt as { batch: number; loss: number };
    await rollback(s, host, epoch, `the training loss became ${d.loss} at batch ${d.batch + 1}`, ` of epoch ${epoch}`);
    return;
  }
  const msPerStep = median(stepMs);
  const ok = await postEpoch(s, host, epoch, { trainLoss: r.loss, trainAcc: r.acc, msPerStep, epochMs: r.ms });
  if (!ok || !alive()) return;
  s.epoch = epoch;
  s.batch = 0;
  const stepping = s.stepping;
  if (stepping) s.stepping = false;
  s.lifecycle = transition(s.lifecycle, { type: 'epochEnd', last: epoch >= s.config.epochs, stepping }) ?? s.lifecycle;
  // The epoch is complete: say so before anything slow (auto's engine re-check) runs.
  postState(s, host);
  await host.afterEpoch?.(epoch, msPerStep);
}

function toNamed(w: RnnWeights): NamedTensors {
  const out: NamedTensors = {};
  for (const [name, t] of Object.entries(w)) out[name] = { shape: t.shape.slice(), data: Float32Array.from(t.data) };
  return out;
}

function firstNonFinite(w: RnnWeights): string | null {
  for (const [name, t] of Object.entries(w)) {
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return name;
  }
  return null;
}

/**
 * Evaluates on the test split, copies the weights to the CPU and posts epoch `epoch` (weights as
 * float32 named tensors, transferred). Non-finite weights or test loss roll back instead: false.
 */
export async function postEpoch(
  s: LoopState,
  host: LoopHost,
  epoch: number,
  m: { trainLoss: number; trainAcc: number; msPerStep: number; epochMs: number },
): Promise<boolean> {
  host.evaluating?.(epoch);
  const test = await evaluateSplitWith(s.model, s.dataset.test, s.spec, TEST_EVAL_BATCH);
  const weights = await s.model.getWeights();
  const bad = firstNonFinite(weights);
  if (bad !== null || !Number.isFinite(test.loss)) {
    await rollback(s, host, epoch, `the ${bad ?? 'test loss'} became NaN or infinite after epoch ${epoch}`);
    return false;
  }
  s.lastGood = { epoch, weights };
  const named = toNamed(weights);
  const metrics: EpochMetrics = {
    trainLoss: m.trainLoss,
    trainAcc: m.trainAcc,
    testLoss: test.loss,
    testAcc: test.acc,
    msPerStep: m.msPerStep,
    epochMs: m.epochMs,
    analysisMs: NaN,
    numTensors: host.numTensors(),
    engine: host.engineId(),
    // A host without threads (a headless run) records none, as its bundles always have.
    ...(host.threads ? { threads: host.threads() } : {}),
  };
  host.post(
    { type: 'epoch', epoch, metrics, weights: named },
    Object.values(named).map((t) => t.data.buffer),
  );
  return true;
}

/**
 * Divergence: restore the last good epoch, rebuild the optimiser, pause, and say what to change.
 * `where` completes `what` for the event's `cause` (" of epoch 2" after "at batch 3").
 */
async function rollback(s: LoopState, host: LoopHost, bad: number, what: string, where = ''): Promise<void> {
  s.model.dispose();
  s.model = await host.rebuildModel();
  s.model.setWeights(s.lastGood.weights);
  s.epoch = s.lastGood.epoch;
  s.batch = 0;
  s.stepping = false;
  host.post({
    type: 'diverged',
    epoch: bad,
    cause: what + where,
    message:
      `Training diverged in epoch ${bad}: ${what}. Rolled back to the weights of epoch ${s.epoch} (optimiser state reset) and paused. ` +
      `Lower the learning rate (now ${s.config.lr}), enable gradient clipping (clip), or use a smaller init gain, then continue.`,
  });
  if (!apply(s, host, { type: 'diverged' })) {
    s.lifecycle = 'paused';
    postState(s, host);
  }
}

/**
 * A lost context abandoned the epoch in progress: the host rebuilt `model`; it gets the weights of
 * `lastGood`, and the loop goes back to the end of that epoch, keeping its lifecycle state.
 */
export function restartFromLastGood(s: LoopState, model: Trainer): void {
  s.model = model;
  s.model.setWeights(s.lastGood.weights);
  s.epoch = s.lastGood.epoch;
  s.batch = 0;
}
