import { describe, expect, it } from 'vitest';
import { MAX_RUN_BUNDLE_CHARS, parseRunBundle, serializeRunBundle, validateRunBundle, type RunBundle } from '../../src/core/formats/bundle';
import { FormatError } from '../../src/core/formats/errors';
import { modelToJson, parseModelObject } from '../../src/core/formats/model';
import { analyzeEpoch } from '../../src/core/analysis/epochSnapshot';
import { createRng } from '../../src/core/rng';
import { epochThreads } from '../../src/core/snapshot';
import { makeBundle, makeWeights } from './bundleFixture';

/** Parses JSON text of a mutated bundle and returns the FormatError it must raise. */
function errorOf(f: () => unknown): FormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

/** The bundle as it must come back: lnR held at float32 precision, everything else exact. */
function asStored(b: RunBundle): RunBundle {
  return { ...b, epochs: b.epochs.map((s) => ({ ...s, lnR: s.lnR.map(Math.fround) })) };
}

/** A valid ftle-lab.model/v1 GRU (gates stacked 3N) of row-wise input: a model, but not a run's. */
function gruWeights(N: number) {
  const z = (n: number) => new Float64Array(n);
  return modelToJson({
    arch: 'gru',
    inputSize: 28,
    hiddenSize: N,
    numClasses: 10,
    tensors: {
      weight_ih_l0: z(3 * N * 28),
      weight_hh_l0: z(3 * N * N),
      bias_ih_l0: z(3 * N),
      bias_hh_l0: z(3 * N),
      'fc.weight': z(10 * N),
      'fc.bias': z(10),
    },
  });
}

/** Serialised bundle as a plain JSON object, ready to mutate. */
function wire(b: RunBundle = makeBundle(1)): any {
  return JSON.parse(serializeRunBundle(b));
}

describe('run bundle ftle-lab.run/v1', () => {
  it('round-trips a realistic run exactly, NaN included', () => {
    const b = makeBundle(7, { epochs: 3 });
    const text = serializeRunBundle(b);
    const back = parseRunBundle(text);
    expect(back).toEqual(asStored(b));
    // A second cycle is the identity: the stored form is a fixed point.
    expect(serializeRunBundle(back)).toBe(text);
    // The NaNs of epoch 0 and of degenerate statistics survive as NaN, written as null.
    expect(back.epochs[0].metrics.trainLoss).toBeNaN();
    expect(back.epochs[0].metrics.msPerStep).toBeNaN();
    expect(back.epochs[1].flip!.zTest.p[0]).toBeNaN();
    expect(back.epochs[1].alignment!.effectiveRank[0]).toBeNaN();
    expect(back.epochs[1].qrGradRelErr).toBeNaN();
    expect(back.epochs[2].qrGradRelErr).toBeGreaterThan(0);
    expect(text).toContain('"trainLoss":null');
    expect(text).not.toContain('NaN');
    // Float64 values come back bit-exact (JSON numbers print shortest round-trip form) ...
    expect(back.epochs[2].spectrum).toEqual(b.epochs[2].spectrum);
    expect(back.epochs[2].flip!.dLRand).toEqual(b.epochs[2].flip!.dLRand);
    // ... and lnR every float32 bit exactly, from 9 significant digits on the wire.
    const lnR = back.epochs[2].lnR;
    for (let i = 0; i < lnR.length; i++) if (lnR[i] !== Math.fround(b.epochs[2].lnR[i])) throw new Error(`lnR[${i}]`);
    expect(text.length).toBeLessThan(JSON.stringify(b).length);
    // The weights are a valid model of the config's size.
    const w = parseModelObject(back.weights);
    expect(w.hiddenSize).toBe(b.config.hidden);
    expect(Array.from(w.tensors.weight_hh_l0)).toEqual((b.weights as any).tensors.weight_hh_l0.data);
  });

  it('accepts a bundle without weights and snapshots without alignment/flip', () => {
    const b = makeBundle(3, { weights: false, full: false });
    expect(parseRunBundle(serializeRunBundle(b))).toEqual(asStored(b));
    // Skipped single-step map and |dL/dx| (over budget / no input gradients) are empty arrays.
    const c = makeBundle(4);
    c.epochs[1].flip!.singleFlip = [];
    c.epochs[1].flip!.absDLdx = [];
    expect(parseRunBundle(serializeRunBundle(c)).epochs[1].flip!.singleFlip).toEqual([]);
  });

  it('names the failing field of a non-finite or mistyped number', () => {
    const w = wire();
    w.epochs[1].spectrum[0][2] = 'x';
    const e = errorOf(() => parseRunBundle(JSON.stringify(w)));
    expect(e.field).toBe('epochs[1].spectrum[0][2]');
    expect(e.message).toMatch(/^epochs\[1\]\.spectrum\[0\]\[2\]: expected a finite number/);

    // null (= NaN) is only allowed where a snapshot may hold NaN: not in testAcc, not in lnR.
    const w2 = wire();
    w2.epochs[2].metrics.testAcc = null;
    expect(errorOf(() => parseRunBundle(JSON.stringify(w2))).field).toBe('epochs[2].metrics.testAcc');
    const w3 = wire();
    w3.epochs[0].lnR[5] = null;
    expect(errorOf(() => parseRunBundle(JSON.stringify(w3))).field).toBe('epochs[0].lnR[5]');
    const w4 = wire();
    w4.epochs[1].flip.dL.top[1][2] = 1e400; // JSON overflow parses to Infinity
    expect(errorOf(() => parseRunBundle(JSON.stringify(w4).replace('1e400', '1e400'))).field).toBe('epochs[1].flip.dL.top[1][2]');
  });

  it('refuses Infinity, misplaced NaN and float32 overflow on serialisation instead of writing null', () => {
    const d = makeBundle(2);
    d.epochs[1].lnR[0] = 1e39;
    expect(errorOf(() => serializeRunBundle(d)).message).toMatch(/^epochs\[1\]\.lnR\[0\]: outside the float32 range/);
    const b = makeBundle(2);
    b.epochs[0].lnR[5] = -Infinity;
    expect(errorOf(() => serializeRunBundle(b)).field).toBe('epochs[0].lnR[5]');
    const c = makeBundle(2);
    c.epochs[1].saturation = NaN;
    expect(errorOf(() => serializeRunBundle(c)).field).toBe('epochs[1].saturation');
  });

  it('keeps the engine that trained each epoch; files without it still read; an unknown engine is refused by name', () => {
    const b = makeBundle(8, { epochs: 2 });
    b.epochs[1].metrics.engine = 'fast-wasm';
    b.epochs[2].metrics.engine = 'tfjs-cpu';
    const back = parseRunBundle(serializeRunBundle(b));
    expect(back.epochs.map((e) => e.metrics.engine)).toEqual([undefined, 'fast-wasm', 'tfjs-cpu']);
    // Files written before the engine ids say 'fast-wasm-simd' for the hand-written engine.
    const old = wire(b);
    old.epochs[1].metrics.engine = 'fast-wasm-simd';
    expect(parseRunBundle(JSON.stringify(old)).epochs[1].metrics.engine).toBe('fast-wasm');
    const w = wire(b);
    w.epochs[2].metrics.engine = 'quantum';
    expect(errorOf(() => parseRunBundle(JSON.stringify(w))).field).toBe('epochs[2].metrics.engine');
  });

  it('keeps the threads each epoch trained on; files without them read as one thread; a bad count is refused by name', () => {
    const b = makeBundle(8, { epochs: 2 });
    b.epochs[1].metrics.engine = 'fast-wasm';
    b.epochs[1].metrics.threads = 2;
    const back = parseRunBundle(serializeRunBundle(b));
    expect(back.epochs.map((e) => e.metrics.threads)).toEqual([undefined, 2, undefined]);
    expect(back.epochs.map((e) => epochThreads(e.metrics))).toEqual([1, 2, 1]);
    for (const bad of [0, 1.5, 17, 'two']) {
      const w = wire(b);
      w.epochs[1].metrics.threads = bad;
      expect(errorOf(() => parseRunBundle(JSON.stringify(w))).field, String(bad)).toBe('epochs[1].metrics.threads');
    }
  });

  it('reads the whole-basis alignment controls when present and checks them against N and the steps', () => {
    const b = makeBundle(9, { epochs: 1 });
    const a = b.epochs[1].alignment!;
    a.randomQPool = b.epochs[1].N;
    a.paperStdLastQ = a.paperStd.map((v) => v / 2);
    const back = parseRunBundle(serializeRunBundle(b));
    expect(back.epochs[1].alignment!.paperStdLastQ).toEqual(a.paperStdLastQ);
    expect(back.epochs[1].alignment!.randomQPool).toBe(b.epochs[1].N);
    const w = wire(b);
    w.epochs[1].alignment.randomQPool = b.epochs[1].N + 1;
    expect(errorOf(() => parseRunBundle(JSON.stringify(w))).field).toBe('epochs[1].alignment.randomQPool');
    const w2 = wire(b);
    w2.epochs[1].alignment.paperStdLastQ.pop();
    expect(errorOf(() => parseRunBundle(JSON.stringify(w2))).field).toMatch(/^epochs\[1\]\.alignment\.paperStdLastQ/);
  });

  it('checks ranges the science fixes: accuracies, p-values, softmax entries in [0, 1]', () => {
    const w = wire();
    w.epochs[1].metrics.testAcc = 1.5;
    expect(errorOf(() => parseRunBundle(JSON.stringify(w))).field).toBe('epochs[1].metrics.testAcc');
    const w2 = wire();
    w2.epochs[1].flip.wilcoxon.top.pHolm[1] = -0.1;
    expect(errorOf(() => parseRunBundle(JSON.stringify(w2))).field).toBe('epochs[1].flip.wilcoxon.top.pHolm[1]');
    const w3 = wire();
    w3.epochs[1].flip.band.random[0] = [2, 1];
    expect(errorOf(() => parseRunBundle(JSON.stringify(w3))).field).toBe('epochs[1].flip.band.random[0]');
  });

  it('checks every array length against B, T, k, N, K, R', () => {
    const cases: [string, (w: any) => void, RegExp][] = [
      ['epochs[1].lnR', (w) => w.epochs[1].lnR.pop(), /B\*T\*k = 3\*28\*4 = 336, got 335/],
      ['epochs[0].spectrum[2]', (w) => w.epochs[0].spectrum[2].push(0), /expected length 4, got 5/],
      ['epochs[1].T', (w) => (w.epochs[1].T = 196), /expected 28 steps for encoding row/],
      ['epochs[1].N', (w) => (w.epochs[1].N = 9), /config\.hidden/],
      ['epochs[1].k', (w) => (w.epochs[1].k = 9), /at most N = 8/],
      ['probe.labels', (w) => w.probe.labels.push(1), /expected length 3, got 4/],
      ['epochs[2].flip.dLRand[1]', (w) => w.epochs[2].flip.dLRand[1].pop(), /expected length 4, got 3/],
      ['epochs[2].flip.dL.taylor', (w) => w.epochs[2].flip.dL.taylor.pop(), /expected length 4, got 3/],
      ['epochs[2].flip.singleFlip[0]', (w) => w.epochs[2].flip.singleFlip[0].pop(), /expected length 28/],
      ['epochs[2].flip.softmaxTop[1]', (w) => w.epochs[2].flip.softmaxTop[1].pop(), /expected length 10/],
      ['epochs[2].flip.n', (w) => (w.epochs[2].flip.n = 5), /at most k = 4/],
      ['epochs[2].flip.kList[3]', (w) => (w.epochs[2].flip.kList[3] = 29), /\[1, 28\]/],
      ['epochs[1].alignment.overlapLeft[2]', (w) => w.epochs[1].alignment.overlapLeft[2].pop(), /expected length 3/],
      ['epochs[1].alignment.steps[2]', (w) => (w.epochs[1].alignment.steps[2] = 29), /\[1, 28\]/],
      ['epochs[1].alignment.cosMatrix[1]', (w) => w.epochs[1].alignment.cosMatrix[1].pop(), /expected length 5/],
      ['epochs[1].alignment.cosMatrix', (w) => w.epochs[1].alignment.cosMatrix.push([0, 0, 0, 0, 0]), /at most N = 8 rows/],
      ['epochs[1].alignment.cosMatrices[1][2]', (w) => w.epochs[1].alignment.cosMatrices[1][2].pop(), /expected length 5/],
      ['epochs[1].alignment.cosMatrices', (w) => w.epochs[1].alignment.cosMatrices.pop(), /expected length/],
      ['epochs[2].flip.absDLdx[2]', (w) => w.epochs[2].flip.absDLdx[2].pop(), /expected length 28/],
      ['epochs[2].epoch', (w) => (w.epochs[2].epoch = 1), /strictly increasing/],
    ];
    for (const [field, mutate, message] of cases) {
      const w = wire();
      mutate(w);
      const e = errorOf(() => parseRunBundle(JSON.stringify(w)));
      expect(e.field, field).toBe(field);
      expect(e.message, field).toMatch(message);
    }
  });

  it('validates the envelope: format, date, data source, config, weights', () => {
    const cases: [string, (w: any) => void][] = [
      ['format', (w) => (w.format = 'ftle-lab.run/v2')],
      ['created', (w) => (w.created = 'yesterday')],
      ['dataSource', (w) => (w.dataSource = 'http://evil')],
      ['config.hidden', (w) => (w.config.hidden = 1e309)],
      ['config.preset', (w) => (w.config.preset = 'fast')],
      ['weights.hidden_size', (w) => (w.weights = makeWeights(createRng(1), { ...w.config, hidden: 16 }))],
      ['weights.tensors.weight_ih_l0.shape', (w) => (w.weights.input_size = 1)],
      ['weights.tensors.weight_hh_l0.data[3]', (w) => (w.weights.tensors.weight_hh_l0.data[3] = 'NaN')],
      ['weights.arch', (w) => (w.weights = gruWeights(w.config.hidden))],
      ['probe.indices', (w) => (w.probe.indices = [])],
      ['epochs', (w) => (w.epochs = {})],
      ['(root)', () => undefined],
    ];
    for (const [field, mutate] of cases) {
      const w = field === '(root)' ? [] : wire();
      mutate(w);
      expect(errorOf(() => parseRunBundle(JSON.stringify(w))).field, field).toBe(field);
    }
    expect(parseRunBundle(JSON.stringify({ ...wire(), dataSource: 'idx:train-images-idx3-ubyte,t10k-labels' })).dataSource).toMatch(
      /^idx:/,
    );
  });

  it('drops prototype keys: no pollution, no surprise prototypes', () => {
    const w = wire();
    const text = JSON.stringify(w)
      .replace('{"format"', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"format"')
      .replace('"dL":{', '"dL":{"__proto__":[[1]],"constructor":[[2]],')
      .replace('"config":{', '"config":{"__proto__":{"hidden":999},');
    expect(text).toContain('"__proto__":{"polluted":1}');
    const b = parseRunBundle(text);
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(b)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(b.config)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(b.epochs[1].flip!.dL)).toBe(Object.prototype);
    expect(Object.keys(b.epochs[1].flip!.dL).sort()).toEqual(['bottom', 'last', 'matched', 'saliency', 'taylor', 'top']);
    expect(Object.hasOwn(b, '__proto__')).toBe(false);
    expect(b.config.hidden).toBe(8);
    // Unknown ranking names that are not identifiers are refused, naming the record key.
    const bad = JSON.stringify(w).replace('"dL":{', '"dL":{"a b":[[1]],');
    expect(errorOf(() => parseRunBundle(bad)).field).toBe('epochs[0].flip.dL.a b');
  });

  it('refuses non-text, malformed JSON and oversized text with a (root) FormatError', () => {
    expect(errorOf(() => parseRunBundle(undefined as unknown as string)).field).toBe('(root)');
    expect(errorOf(() => parseRunBundle('{"format": ')).field).toBe('(root)');
    const huge = ' '.repeat(MAX_RUN_BUNDLE_CHARS + 1);
    const e = errorOf(() => parseRunBundle(huge));
    expect(e.field).toBe('(root)');
    expect(e.message).toMatch(/too large/);
  });

  it('validateRunBundle applies the same rules to an in-memory bundle without mutating it', () => {
    const b = makeBundle(11);
    const before = JSON.stringify(b);
    expect(validateRunBundle(b)).toEqual(asStored(b));
    expect(JSON.stringify(b)).toBe(before);
    (b.epochs[1].flip!.scores[0] as unknown[])[3] = '1';
    expect(errorOf(() => validateRunBundle(b)).field).toBe('epochs[1].flip.scores[0][3]');
  });

  it('round-trips a long pixel28 run (20 epochs, B=15, T=784, k=16) value for value', () => {
    const b = makeBundle(5, {
      config: { encoding: 'pixel28', hidden: 64, k: 16, probes: 15 },
      epochs: 20,
    });
    // 21 epochs of 188k ln r values each (~60 MB of text): the size a long paper-scale run reaches.
    // Its speed is not asserted here (speed is the bench's business); that it survives whole is.
    const text = serializeRunBundle(b);
    const back = parseRunBundle(text);
    expect(back.epochs.length).toBe(21);
    expect(back.epochs[20].lnR.length).toBe(15 * 784 * 16);
    const want = b.epochs[20].lnR as ArrayLike<number>;
    const got = back.epochs[20].lnR as ArrayLike<number>;
    for (const i of [0, 1, 4_999, 100_000, got.length - 1]) expect(got[i]).toBe(Math.fround(want[i]));
  });
});

describe('run bundle with snapshots from the real analysis (analyzeEpoch)', () => {
  it('validates and round-trips what the analysis worker produces', () => {
    const rng = createRng(99);
    const b = makeBundle(99, { epochs: 0, full: false });
    const config = { ...b.config, hidden: 8, k: 4, probes: 3, draws: 5 };
    const weights = parseModelObject(makeWeights(rng, config));
    const T = 28;
    const D = 28;
    const inputs = Float64Array.from({ length: config.probes * T * D }, () => rng.next());
    const labels = b.probe.labels;
    const analysis = analyzeEpoch(weights, inputs, labels, T, D, { k: config.k, n: 1, draws: config.draws, seed: 1 });
    const metrics = {
      trainLoss: 1.2,
      trainAcc: 0.6,
      testLoss: 1.3,
      testAcc: 0.55,
      msPerStep: 40,
      epochMs: 900,
      analysisMs: 120,
      numTensors: 12,
    };
    const bundle: RunBundle = {
      ...b,
      config,
      epochs: [b.epochs[0], { epoch: 1, metrics, ...analysis }],
      weights: makeWeights(rng, config),
    };
    const back = parseRunBundle(serializeRunBundle(bundle));
    expect(back).toEqual(asStored(bundle));
    expect(back.epochs[1].flip).not.toBeNull();
    expect(back.epochs[1].alignment).not.toBeNull();
  });
});
