/**
 * Builds realistic, internally consistent run bundles for the bundle, persistence and fuzz tests:
 * seeded, with shapes derived from the config exactly as the worker produces them (B probes,
 * T steps from the encoding, k = min(config.k, hidden) tracked vectors). Values are synthetic but
 * obey the science's own constraints (spectrum = time average of ln r, softmax rows sum to 1,
 * cosines and overlaps in [0, 1], p-values in [0, 1]) so a validator that checks them passes.
 */
import { PRESET_CONFIGS, type RunConfig } from '../../src/core/formats/config';
import { RUN_BUNDLE_FORMAT, type RunBundle } from '../../src/core/formats/bundle';
import { ENCODING_SHAPES } from '../../src/core/formats/config';
import { modelToJson, type ModelWeights } from '../../src/core/formats/model';
import { createRng, type Rng } from '../../src/core/rng';
import type { EpochSnapshot } from '../../src/core/snapshot';

const fill = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const grid = (a: number, b: number, f: (i: number, j: number) => number): number[][] => fill(a, (i) => fill(b, (j) => f(i, j)));

function softmaxRow(rng: Rng): number[] {
  const z = fill(10, () => Math.exp(rng.normal()));
  const s = z.reduce((x, y) => x + y, 0);
  return z.map((v) => v / s);
}

/** One epoch snapshot with shapes [B][T][k] etc.; epoch 0 carries the NaN metrics of "before training". */
export function makeSnapshot(rng: Rng, config: RunConfig, B: number, epoch: number, full = true): EpochSnapshot {
  const T = ENCODING_SHAPES[config.encoding].T;
  const N = config.hidden;
  const k = Math.min(config.k, N);
  // ln r_i(t) ordered like a Lyapunov spectrum: the i-th vector contracts faster.
  const lnR = new Array<number>(B * T * k);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) for (let i = 0; i < k; i++) lnR[(b * T + t) * k + i] = -0.1 * i + 0.2 * rng.normal();
  const spectrum = grid(B, k, (b, i) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += lnR[(b * T + t) * k + i];
    return s / T;
  });
  const snap: EpochSnapshot = {
    epoch,
    metrics: {
      trainLoss: epoch === 0 ? NaN : 2.3 / (epoch + 1),
      trainAcc: epoch === 0 ? NaN : 1 - 0.9 / (epoch + 1),
      testLoss: 2.3 / (epoch + 1),
      testAcc: 1 - 0.9 / (epoch + 1),
      msPerStep: epoch === 0 ? NaN : 40 + rng.next(),
      epochMs: epoch === 0 ? 0 : 5000 * (1 + rng.next()),
      analysisMs: 300 * (1 + rng.next()),
      numTensors: 12,
    },
    T,
    N,
    k,
    lnR,
    spectrum,
    saturation: rng.next() * 0.1,
    // The Q/R-vs-BPTT check is skipped (NaN) on some epochs.
    qrGradRelErr: epoch === 1 ? NaN : 1e-9 * (1 + rng.next()),
    alignment: null,
    flip: null,
  };
  if (!full) return snap;
  const steps = [1, Math.ceil(T / 2), T];
  const m = [1, 3, 5].filter((x) => x <= N);
  const S = steps.length;
  const M = m.length;
  const unitGrid = () => grid(S, M, () => rng.next());
  snap.alignment = {
    steps,
    // A zero gradient at t = 1 (h_0 = 0 in a bias-free model) leaves its statistics undefined.
    paperStd: fill(S, (s) => (s === 0 ? NaN : 0.1 + 0.1 * rng.next())),
    paperStdRandomQ: fill(S, () => 0.1 * rng.next()),
    paperStdMismatched: fill(S, () => 0.1 * rng.next()),
    paperStdWhh: fill(S, () => 0.1 * rng.next()),
    nullCosStd: 1 / Math.sqrt(N),
    m,
    overlapLeft: unitGrid(),
    overlapRight: unitGrid(),
    overlapLeftStd: unitGrid(),
    overlapRightStd: unitGrid(),
    overlapLeftMismatched: unitGrid(),
    overlapLeftWhh: unitGrid(),
    overlapNull: m.map((x) => x / N),
    // The paper's 10 Q vectors are tracked even when fewer (k) are reported in lnR.
    cosMatrix: grid(Math.min(10, N), Math.min(5, N), () => rng.next()),
    // Every probe's matrix; the first is cosMatrix.
    cosMatrices: [],
    effectiveRank: fill(S, (s) => (s === 0 ? NaN : 1 + 3 * rng.next())),
  };
  snap.alignment.cosMatrices = [
    snap.alignment.cosMatrix,
    ...Array.from({ length: B - 1 }, () => grid(Math.min(10, N), Math.min(5, N), () => rng.next())),
  ];
  const kList = [1, 2, 5, 10].filter((x) => x <= T);
  const K = kList.length;
  const R = 4;
  const perK = () => fill(K, () => rng.next());
  const rankings = ['top', 'bottom', 'saliency', 'taylor', 'last', 'matched'];
  snap.flip = {
    n: 1,
    kList,
    R,
    baseLoss: fill(B, () => rng.next()),
    dL: Object.fromEntries(rankings.map((r) => [r, grid(K, B, () => rng.normal())])),
    dLRand: fill(K, () => grid(R, B, () => rng.normal())),
    zTest: { d: fill(K, () => rng.normal()), sigma: perK(), p: fill(K, (i) => (i === 0 ? NaN : rng.next())), pHolm: perK() },
    wilcoxon: Object.fromEntries(
      rankings.map((r) => [
        r,
        { medianDiff: fill(K, () => rng.normal()), meanDiff: fill(K, () => rng.normal()), p: perK(), pHolm: perK() },
      ]),
    ),
    band: Object.fromEntries(
      [...rankings, 'random'].map((r) => [
        r,
        fill(K, () => {
          const lo = rng.normal();
          return [lo, lo + rng.next()];
        }),
      ]),
    ),
    effect: Object.fromEntries(rankings.map((r) => [r, fill(K, (i) => (i === 0 && r === 'last' ? NaN : rng.normal()))])),
    singleFlip: grid(B, T, () => rng.normal()),
    scores: grid(B, T, () => rng.normal()),
    absDLdx: grid(B, T, () => Math.abs(rng.normal())),
    kFig: kList[K - 1],
    softmaxOrig: fill(B, () => softmaxRow(rng)),
    softmaxTop: fill(B, () => softmaxRow(rng)),
    softmaxRand: fill(B, () => softmaxRow(rng)),
  };
  return snap;
}

/** Random tanh-RNN weights of the config's size as a `ftle-lab.model/v1` object. */
export function makeWeights(rng: Rng, config: RunConfig): ReturnType<typeof modelToJson> {
  const N = config.hidden;
  const D = config.encoding === 'row' ? 28 : 1;
  const rand = (n: number) => Float64Array.from({ length: n }, () => rng.normal() / Math.sqrt(N));
  const w: ModelWeights = {
    arch: 'rnn',
    inputSize: D,
    hiddenSize: N,
    numClasses: 10,
    tensors: {
      weight_ih_l0: rand(N * D),
      weight_hh_l0: rand(N * N),
      bias_ih_l0: rand(N),
      bias_hh_l0: rand(N),
      'fc.weight': rand(10 * N),
      'fc.bias': rand(10),
    },
    input: { encoding: config.encoding, permutation: null, normalize: null },
  };
  return modelToJson(w);
}

/** A whole run: epochs 0..epochs, probes B = config.probes, latest weights. */
export function makeBundle(
  seed: number,
  opts: { config?: Partial<RunConfig>; epochs?: number; weights?: boolean; full?: boolean } = {},
): RunBundle {
  const rng = createRng(seed);
  const config: RunConfig = { ...PRESET_CONFIGS.quick, hidden: 8, k: 4, probes: 3, ...opts.config };
  const B = config.probes;
  const epochs = opts.epochs ?? 2;
  const bundle: RunBundle = {
    format: RUN_BUNDLE_FORMAT,
    created: '2025-06-01T12:00:00.000Z',
    appVersion: '0.1.0',
    config,
    probe: { indices: fill(B, (i) => 17 * i + 3), labels: fill(B, (i) => i % 10) },
    dataSource: 'bundled-mnist-10k',
    epochs: fill(epochs + 1, (e) => makeSnapshot(rng, config, B, e, opts.full ?? true)),
  };
  if (opts.weights ?? true) bundle.weights = makeWeights(rng, config);
  return bundle;
}
