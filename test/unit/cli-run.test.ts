/**
 * `ftle-lab run` against the browser's fast engine: the headless loop must train and analyse
 * exactly what the training worker (training.worker.ts: init seed, probe digits, trainEpochWith,
 * test evaluation) and the analysis worker (analysis.worker.ts: float64 weights, analyzeEpoch
 * with the config's k, n, draws, seed) compute for the same link. The reference below is written out
 * from the quick preset's values, not from the CLI's helpers, so a drift in either shows here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromHash } from '../../src/core/formats/config';
import { parseRunBundle, serializeRunBundle } from '../../src/core/formats/bundle';
import { analyzeEpoch } from '../../src/core/analysis/epochSnapshot';
import type { ModelWeights, TensorName } from '../../src/core/formats/model';
import { deriveSeed } from '../../src/core/rng';
import type { EpochSnapshot } from '../../src/core/snapshot';
import { encodeImages, probeIndices, sequenceSpec } from '../../src/data/encodings';
import type { MnistDataset } from '../../src/data/mnistAsset';
import { evaluateSplitWith, fastTrainer, trainEpochWith } from '../../src/model/trainer';
import { loadBundledDigits, loadFastKernels, useWasmAnalysisKernels } from '../../src/cli/assets';
import { runHeadless, type HeadlessRunOptions } from '../../src/run/headless';

const LINK = '#preset=quick&epochs=1&subset=0.05&seed=7';

let dataset: MnistDataset;
beforeAll(async () => {
  // The analysis worker's float64 WASM kernels, as the CLI's entry point loads them.
  expect(await useWasmAnalysisKernels()).toBe('wasm-simd');
  dataset = await loadBundledDigits();
});

async function headless(link: string, hooks: Pick<HeadlessRunOptions, 'onProgress' | 'beforeBatch'> = {}) {
  const { config, issues } = configFromHash(link);
  expect(issues).toEqual([]);
  const { kernels, engine } = await loadFastKernels();
  const weightsAt: Record<number, Record<string, { data: number[] }>> = {};
  const r = await runHeadless({
    config,
    dataset,
    kernels,
    engine,
    appVersion: '0.1.0',
    created: '2026-01-01T00:00:00.000Z',
    onEpoch: (b, s) => {
      weightsAt[s.epoch] = structuredClone((b.weights as { tensors: Record<string, { data: number[] }> }).tensors);
    },
    ...hooks,
  });
  return { ...r, weightsAt, engine };
}

describe('ftle-lab run: same numbers as the browser fast engine', () => {
  it("epoch 0 and 1 weights, metrics and analysis equal the training and analysis workers' code path", async () => {
    const cli = await headless(LINK);
    expect(cli.outcome).toBe('done');
    expect(cli.engine).toBe('fast-wasm');
    expect(cli.bundle.epochs.map((s) => s.epoch)).toEqual([0, 1]);

    // --- the training worker for #preset=quick&seed=7 (row encoding, N = 32, Adam 5e-3, clip 5) ---
    const spec = sequenceSpec('row', null);
    const { kernels } = await loadFastKernels();
    const model = fastTrainer(
      {
        inputSize: 28,
        hiddenSize: 32,
        numClasses: 10,
        init: 'xavier',
        gain: 1,
        bias: true,
        seed: deriveSeed(7, 'init'),
        optimizer: 'adam',
        lr: 0.005,
        clip: 5,
        reduction: 'mean',
      },
      kernels,
    );
    const probeIdx = probeIndices(dataset, 16, deriveSeed(7, 'probes'));
    expect(cli.bundle.probe.indices).toEqual(Array.from(probeIdx));
    expect(cli.bundle.probe.labels).toEqual(Array.from(probeIdx, (i) => dataset.test.labels[i]));
    const w0 = await model.getWeights();
    for (const [name, t] of Object.entries(w0)) expect(cli.weightsAt[0][name].data, `epoch 0 ${name}`).toEqual(Array.from(t.data));
    const test0 = await evaluateSplitWith(model, dataset.test, spec, 500);
    const trained = await trainEpochWith(model, dataset.train, spec, { batchSize: 64, seed: 7, epoch: 1, subset: 0.05 });
    expect(trained.samples).toBe(400);
    const test1 = await evaluateSplitWith(model, dataset.test, spec, 500);
    const w1 = await model.getWeights();
    for (const [name, t] of Object.entries(w1)) expect(cli.weightsAt[1][name].data, `epoch 1 ${name}`).toEqual(Array.from(t.data));

    const [s0, s1] = cli.bundle.epochs;
    expect([s0.metrics.testLoss, s0.metrics.testAcc]).toEqual([test0.loss, test0.acc]);
    expect([s1.metrics.trainLoss, s1.metrics.trainAcc, s1.metrics.testLoss, s1.metrics.testAcc]).toEqual([
      trained.loss,
      trained.acc,
      test1.loss,
      test1.acc,
    ]);
    expect(s0.metrics.trainLoss).toBeNaN();
    expect(s1.metrics.engine).toBe('fast-wasm');
    // Training did something (a run that ignored the data would still be "equal").
    expect(test1.loss).toBeLessThan(test0.loss);

    // --- the analysis worker: float64 copy of the posted float32 weights, the config's k, n, draws, seed ---
    const tensors = {} as Record<TensorName, Float64Array>;
    for (const [name, t] of Object.entries(w1)) tensors[name as TensorName] = Float64Array.from(t.data);
    const weights: ModelWeights = { arch: 'rnn', inputSize: 28, hiddenSize: 32, numClasses: 10, tensors };
    const inputs = Float64Array.from(encodeImages(dataset.test.images, probeIdx, spec));
    const labels = Array.from(probeIdx, (i) => dataset.test.labels[i]);
    const ref = analyzeEpoch(weights, inputs, labels, 28, 28, { k: 16, n: 1, draws: 50, seed: 7 });
    const { epoch: _e, metrics: _m, ...analysis } = s1 as EpochSnapshot;
    expect(analysis).toEqual(ref);
    model.dispose();
  });

  it('writes a bundle the app reads back unchanged; another seed gives another network', async () => {
    const a = await headless(LINK);
    const text = serializeRunBundle(a.bundle);
    const back = parseRunBundle(text);
    expect(back.config).toEqual(a.bundle.config);
    expect(back.epochs[1].metrics.testAcc).toBe(a.bundle.epochs[1].metrics.testAcc);
    expect(back.epochs[1].spectrum).toEqual(a.bundle.epochs[1].spectrum);
    const b = await headless(LINK.replace('seed=7', 'seed=8'));
    expect(b.weightsAt[1].weight_hh_l0.data).not.toEqual(a.weightsAt[1].weight_hh_l0.data);
    expect(b.bundle.probe.indices).not.toEqual(a.bundle.probe.indices);
  });

  it('stops between batches when asked and keeps the finished epochs', async () => {
    const { config } = configFromHash('#preset=quick&epochs=3&subset=0.05&seed=7');
    const { kernels, engine } = await loadFastKernels();
    let stop = false;
    const r = await runHeadless({
      config,
      dataset,
      kernels,
      engine,
      appVersion: '0.1.0',
      // Ctrl-C during epoch 2's training (its first batch done): epochs 0 and 1 are finished.
      onProgress: (p) => {
        if (p.phase === 'train' && p.epoch === 2) stop = true;
      },
      shouldStop: () => stop,
    });
    expect(r.outcome).toBe('stopped');
    expect(r.bundle.epochs.map((s) => s.epoch)).toEqual([0, 1]);
    expect(() => serializeRunBundle(r.bundle)).not.toThrow();
  });
});

describe('a pause gate before each batch (the background seeds pause with the main run)', () => {
  it('holds training while closed and gives the same run once opened', async () => {
    const link = '#preset=quick&epochs=1&subset=0.02&seed=7';
    const plain = await headless(link);
    let open: () => void = () => {};
    let batches = 0;
    let held = false;
    let reached: () => void = () => {};
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const running = headless(link, {
      onProgress: (p) => {
        if (p.phase === 'train') batches++;
      },
      // Closed before the third batch, until the test opens it.
      beforeBatch: () => {
        if (batches !== 2 || held) return;
        held = true;
        reached();
        return new Promise<void>((resolve) => {
          open = resolve;
        });
      },
    });
    await atGate;
    // Held: no batch trains while the gate is closed.
    await new Promise((r) => setTimeout(r, 200));
    expect(batches).toBe(2);
    open();
    const gated = await running;
    expect(gated.outcome).toBe('done');
    // Everything but the wall times (msPerStep, epochMs, analysisMs) is the same, bit for bit.
    const numbers = (b: typeof plain.bundle) =>
      JSON.stringify(b, (k, v) => (k === 'msPerStep' || k === 'epochMs' || k === 'analysisMs' ? 0 : v));
    expect(numbers(gated.bundle)).toBe(numbers(plain.bundle));
  });
});

describe('ftle-lab run: divergence', () => {
  it('a NaN loss ends the run as diverged, keeping the good epochs and saying what to change', async () => {
    const { config } = configFromHash('#preset=quick&epochs=3&subset=0.05&seed=7');
    const real = (await loadFastKernels()).kernels;
    let poison = false;
    // Kernels that turn the hidden state into NaN once armed (a rehearsal of a blow-up in epoch 2).
    const kernels = {
      ...real,
      heap: () => real.heap(),
      tanh: (x: number, n: number) => {
        real.tanh(x, n);
        if (poison) real.heap()[x] = NaN;
      },
    };
    const r = await runHeadless({
      config,
      dataset,
      kernels,
      engine: 'fast-wasm',
      appVersion: '0.1.0',
      onProgress: (p) => {
        if (p.phase === 'train' && p.epoch === 2) poison = true;
      },
    });
    expect(r.outcome).toBe('diverged');
    expect(r.bundle.epochs.map((s) => s.epoch)).toEqual([0, 1]);
    expect(r.message).toMatch(
      /^Training diverged: the training loss became NaN at batch \d+ of epoch 2\. The bundle holds epochs 0-1\. Lower the learning rate \(now 0\.005\)/,
    );
    expect(() => serializeRunBundle(r.bundle)).not.toThrow();
  });
});
