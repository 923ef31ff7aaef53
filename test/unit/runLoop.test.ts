/**
 * The training worker's run loop in Node, on the fast engine (WASM SIMD kernels, as in the
 * browser) and the real digits: Pause stops at the next batch boundary and says so, Resume and
 * Step continue the same epoch from the same batch, and the result is bit for bit the run that was
 * never interrupted. Extend continues a finished run; refused commands re-post the state. The same
 * holds on the threaded engine (2 worker_threads), whose epochs record their thread count.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESET_CONFIGS, type RunConfig } from '../../src/core/formats/config';
import { deriveSeed } from '../../src/core/rng';
import { sequenceSpec } from '../../src/data/encodings';
import { loadMnistAsset, type MnistDataset } from '../../src/data/mnistAsset';
import { createWasmTrainingKernels } from '../../src/model/fast/wasmKernels';
import type { TrainingKernels } from '../../src/model/fast/kernels';
import { fastTrainer, type Trainer } from '../../src/model/trainer';
import { createThreadedFastTrainer } from '../../src/model/fast/threaded';
import { nodeHelperSpawner } from '../../src/model/fast/threadedNode';
import type { RnnModelOptions } from '../../src/model/rnn';
import { command, createLoopState, postEpoch, apply, type LoopHost, type LoopState } from '../../src/run/loop';
import { resolveRunOptions } from '../../src/run/options';
import type { NamedTensors, TrainerEvent } from '../../src/worker/protocol';

let ds: MnistDataset;
let kernels: TrainingKernels;
const spec = sequenceSpec('row', null);
// 400 training digits in 7 batches of 64 per epoch: small enough to run three runs per test.
const config: RunConfig = { ...PRESET_CONFIGS.quick, hidden: 16, subset: 0.05, epochs: 2, seed: 5 };

beforeAll(async () => {
  ds = await loadMnistAsset(readFileSync('public/data/mnist-10k.bin'));
  kernels = await createWasmTrainingKernels(readFileSync('public/kernels/fast_rnn.wasm'));
});

function options(c: RunConfig): RnnModelOptions {
  return {
    inputSize: spec.D,
    hiddenSize: c.hidden,
    numClasses: 10,
    init: c.init,
    gain: c.gain,
    bias: c.bias === 1,
    seed: deriveSeed(c.seed, 'init'),
    optimizer: c.optimizer,
    lr: c.lr,
    clip: c.clip,
    reduction: c.reduction,
  };
}

/** A loop on a fresh model, with every event it posts recorded and a way to wait for one. */
async function harness(c: RunConfig, make: () => Trainer | Promise<Trainer> = () => fastTrainer(options(c), kernels)) {
  const events: TrainerEvent[] = [];
  const listeners: ((ev: TrainerEvent) => void)[] = [];
  const model: Trainer = await make();
  const host: LoopHost = {
    post: (ev) => {
      events.push(ev);
      for (const l of [...listeners]) l(ev);
    },
    engineId: () => 'fast-wasm',
    threads: () => s.model.threads ?? 1,
    rebuildModel: make,
    numTensors: () => 0,
  };
  const s: LoopState = createLoopState({ options: resolveRunOptions(c), dataset: ds, model, epoch: 0, weights: await model.getWeights() });
  await postEpoch(s, host, 0, { trainLoss: NaN, trainAcc: NaN, msPerStep: NaN, epochMs: 0 });
  apply(s, host, { type: 'loaded', done: false });
  const waitFor = (pred: (ev: TrainerEvent) => boolean) =>
    new Promise<TrainerEvent>((resolve) => {
      const l = (ev: TrainerEvent) => {
        if (!pred(ev)) return;
        listeners.splice(listeners.indexOf(l), 1);
        resolve(ev);
      };
      listeners.push(l);
    });
  // The state changes in order (a state is re-posted when only its epoch count changes).
  const states = () => events.flatMap((e) => (e.type === 'state' ? [e.state] : [])).filter((st, i, all) => i === 0 || all[i - 1] !== st);
  const epochWeights = () => new Map(events.flatMap((e) => (e.type === 'epoch' ? [[e.epoch, e.weights] as [number, NamedTensors]] : [])));
  return { s, host, events, waitFor, states, epochWeights, on: (l: (ev: TrainerEvent) => void) => listeners.push(l) };
}

const isState = (state: string) => (ev: TrainerEvent) => ev.type === 'state' && ev.state === state;

function expectSameWeights(a: NamedTensors, b: NamedTensors): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(a)) {
    expect(a[name].shape).toEqual(b[name].shape);
    const x = a[name].data;
    const y = b[name].data;
    let differing = 0;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) differing++;
    expect(differing, `${name}: elements that differ`).toBe(0);
  }
}

describe('run loop lifecycle', () => {
  it('pause mid-epoch stops at the next batch, resume continues it, and every weight equals an uninterrupted run', async () => {
    const plain = await harness(config);
    command(plain.s, plain.host, { type: 'start' });
    await plain.waitFor(isState('done'));
    expect(plain.states()).toEqual(['ready', 'training', 'done']);

    const h = await harness(config);
    // Pause after batch 2 of epoch 1 (the 'batch' event of the third batch): it takes effect before batch 3.
    h.on((ev) => {
      if (ev.type === 'batch' && ev.epoch === 1 && ev.step === 2) command(h.s, h.host, { type: 'pause' });
    });
    command(h.s, h.host, { type: 'start' });
    const paused = await h.waitFor(isState('paused'));
    expect(paused).toMatchObject({ state: 'paused', epoch: 0, batch: 3, batches: 7 });
    expect(h.states()).toEqual(['ready', 'training', 'pausing', 'paused']);
    // Paused means paused: no batch is trained while it waits.
    const seen = h.events.length;
    const before = await h.s.model.getWeights();
    await new Promise((r) => setTimeout(r, 150));
    expect(h.events.length).toBe(seen);
    const still = await h.s.model.getWeights();
    expect(Array.from(still.weight_hh_l0.data)).toEqual(Array.from(before.weight_hh_l0.data));

    command(h.s, h.host, { type: 'start' });
    await h.waitFor(isState('done'));
    expect(h.states()).toEqual(['ready', 'training', 'pausing', 'paused', 'training', 'done']);
    // Batch losses of the resumed epoch are the uninterrupted run's, in order, none twice.
    const losses = (r: typeof h) => r.events.flatMap((e) => (e.type === 'batch' ? [`${e.epoch}:${e.step}:${e.loss}`] : []));
    expect(losses(h)).toEqual(losses(plain));
    for (const epoch of [0, 1, 2]) expectSameWeights(h.epochWeights().get(epoch)!, plain.epochWeights().get(epoch)!);
  }, 60_000);

  it('step from a mid-epoch pause finishes that epoch only; pause between epochs; extend continues a finished run', async () => {
    const long = await harness({ ...config, epochs: 3 });
    command(long.s, long.host, { type: 'start' });
    await long.waitFor(isState('done'));

    const h = await harness(config);
    h.on((ev) => {
      if (ev.type === 'batch' && ev.epoch === 1 && ev.step === 4) command(h.s, h.host, { type: 'pause' });
    });
    command(h.s, h.host, { type: 'start' });
    await h.waitFor(isState('paused'));
    expect(h.s.batch).toBe(5);
    command(h.s, h.host, { type: 'step' });
    const afterStep = await h.waitFor(isState('paused'));
    expect(afterStep).toMatchObject({ epoch: 1, batch: 0 });
    expect([...h.epochWeights().keys()]).toEqual([0, 1]);

    // A pause that arrives between epochs settles at the boundary, before any batch of the next.
    command(h.s, h.host, { type: 'step' });
    command(h.s, h.host, { type: 'pause' });
    const atBoundary = await h.waitFor(isState('paused'));
    expect(atBoundary).toMatchObject({ state: 'paused', epoch: 1 });
    command(h.s, h.host, { type: 'start' });
    await h.waitFor(isState('done'));
    expect(h.s.epoch).toBe(2);

    // Start on a finished run is refused and the state re-posted; extend makes it continue.
    const n = h.events.length;
    command(h.s, h.host, { type: 'start' });
    expect(h.events.slice(n)).toMatchObject([{ type: 'state', state: 'done', epoch: 2, epochs: 2 }]);
    command(h.s, h.host, { type: 'extend', epochs: 3 });
    expect(h.s.lifecycle).toBe('paused');
    expect(h.events.at(-1)).toMatchObject({ type: 'state', state: 'paused', epoch: 2, epochs: 3 });
    command(h.s, h.host, { type: 'start' });
    await h.waitFor(isState('done'));
    for (const epoch of [0, 1, 2, 3]) expectSameWeights(h.epochWeights().get(epoch)!, long.epochWeights().get(epoch)!);
    // A target below what is trained is refused: nothing trained is undone.
    command(h.s, h.host, { type: 'extend', epochs: 1 });
    expect(h.s.config.epochs).toBe(3);
    expect(h.events.at(-1)).toMatchObject({ type: 'state', state: 'done', epoch: 3, epochs: 3 });
  }, 60_000);

  it('step one batch trains exactly one batch and pauses; slow motion waits between batches and changes no number', async () => {
    const plain = await harness(config);
    command(plain.s, plain.host, { type: 'start' });
    await plain.waitFor(isState('done'));

    const h = await harness(config);
    command(h.s, h.host, { type: 'stepBatch' });
    const first = await h.waitFor(isState('paused'));
    expect(first).toMatchObject({ state: 'paused', epoch: 0, batch: 1, batches: 7 });
    command(h.s, h.host, { type: 'stepBatch' });
    expect(await h.waitFor(isState('paused'))).toMatchObject({ epoch: 0, batch: 2 });
    // Every batch of a batch step is a loss point (no decimation): steps 0 and 1 of epoch 1.
    expect(h.events.flatMap((e) => (e.type === 'batch' ? [`${e.epoch}:${e.step}`] : []))).toEqual(['1:0', '1:1']);
    expect(h.states()).toEqual(['ready', 'training', 'pausing', 'paused', 'training', 'pausing', 'paused']);

    // Slow motion for the rest: 40 ms before each batch, so the 12 batches left take >= 0.4 s.
    command(h.s, h.host, { type: 'pace', msPerBatch: 40 });
    const t0 = performance.now();
    command(h.s, h.host, { type: 'start' });
    await h.waitFor(isState('done'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(12 * 40 * 0.9);
    // The same run as the uninterrupted one, bit for bit, whatever the pace.
    const losses = (r: typeof h) =>
      new Map(r.events.flatMap((e) => (e.type === 'batch' ? [[`${e.epoch}:${e.step}`, e.loss] as [string, number]] : [])));
    const all = losses(h);
    for (const [k, v] of losses(plain)) expect(all.get(k), k).toBe(v);
    for (const epoch of [0, 1, 2]) expectSameWeights(h.epochWeights().get(epoch)!, plain.epochWeights().get(epoch)!);
  }, 60_000);

  it('on 2 threads: pause and resume give the uninterrupted run bit for bit, and every epoch records its 2 threads', async () => {
    const wasm = readFileSync('public/kernels/fast_rnn.wasm');
    const bytes = () => wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer;
    const made: Trainer[] = [];
    const threaded = async () => {
      const t = await createThreadedFastTrainer(options(config), 2, { wasm: bytes(), spawn: nodeHelperSpawner });
      made.push(t);
      return t;
    };
    const plain = await harness(config, threaded);
    command(plain.s, plain.host, { type: 'start' });
    await plain.waitFor(isState('done'));
    const h = await harness(config, threaded);
    h.on((ev) => {
      if (ev.type === 'batch' && ev.epoch === 1 && ev.step === 2) command(h.s, h.host, { type: 'pause' });
    });
    command(h.s, h.host, { type: 'start' });
    await h.waitFor(isState('paused'));
    command(h.s, h.host, { type: 'start' });
    await h.waitFor(isState('done'));
    const threads = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'epoch' ? [e.metrics.threads] : []));
    expect(threads(plain.events)).toEqual([2, 2, 2]);
    expect(threads(h.events)).toEqual([2, 2, 2]);
    for (const [epoch, w] of plain.epochWeights()) expectSameWeights(h.epochWeights().get(epoch)!, w);
    for (const t of made) t.dispose();
  }, 60_000);
});
