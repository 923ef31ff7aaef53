/**
 * Seeded initial weights of the recurrent classifier, generated on the CPU in float64 and stored as
 * Float32Array (then uploaded once with tf.tensor): identical on every backend and machine.
 * PyTorch names and shapes (formats.md), G = 1 (rnn), 3 (gru), 4 (lstm): weight_ih_l0 [G*N, D],
 * weight_hh_l0 [G*N, N], bias_ih_l0 [G*N], bias_hh_l0 [G*N], fc.weight [C, N], fc.bias [C].
 */
import { expectedShapes, TENSOR_NAMES, type Arch, type TensorName } from '../core/formats/model';
import { createRng, deriveSeed, type Rng } from '../core/rng';

/** The model file's PyTorch tensor names (core/formats/model.ts), in the order we write them. */
export const RNN_TENSOR_NAMES = TENSOR_NAMES;
export type RnnTensorName = TensorName;

/** One tensor's place in a flat parameter vector: offset and size in floats, and its shape. */
export interface ParamSlot {
  off: number;
  size: number;
  shape: number[];
}

/**
 * Packs the tensors, in RNN_TENSOR_NAMES order and without padding, into one flat vector of
 * `nParams` floats (the engines that keep all parameters in one buffer: fast, fused-webgpu).
 */
export function flatParamLayout(shapes: Record<RnnTensorName, readonly number[]>): {
  layout: FlatParamLayout;
  nParams: number;
} {
  const layout = {} as FlatParamLayout;
  let off = 0;
  for (const n of RNN_TENSOR_NAMES) {
    const size = shapes[n].reduce((a, b) => a * b, 1);
    layout[n] = { off, size, shape: shapes[n].slice() };
    off += size;
  }
  return { layout, nParams: off };
}

/** Where each tensor sits in a flat parameter vector (flatParamLayout). */
export type FlatParamLayout = Record<RnnTensorName, ParamSlot>;

/** Copies of the six tensors (PyTorch names and shapes) out of the flat block that starts at `src[base]`. */
export function unpackFlatWeights(layout: FlatParamLayout, src: Float32Array, base = 0): RnnWeights {
  const out = {} as RnnWeights;
  for (const n of RNN_TENSOR_NAMES) {
    const { off, size, shape } = layout[n];
    out[n] = { shape: shape.slice(), data: src.slice(base + off, base + off + size) };
  }
  return out;
}

/** Writes the six tensors' data into the flat block that starts at `dst[base]` (shapes checked by the caller). */
export function packFlatWeights(
  layout: FlatParamLayout,
  weights: Record<RnnTensorName, { data: ArrayLike<number> }>,
  dst: Float32Array,
  base = 0,
): void {
  for (const n of RNN_TENSOR_NAMES) {
    const { off, size } = layout[n];
    const src = weights[n].data;
    for (let i = 0; i < size; i++) dst[base + off + i] = src[i];
  }
}

/** One tensor as plain data: row-major `data` with `shape` (the ftle-lab.model/v1 layout). */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}
export type RnnWeights = Record<RnnTensorName, TensorData>;

export type RnnInit = 'xavier' | 'orthogonal';

export interface RnnInitOptions {
  /** Recurrent cell (default 'rnn'); gru and lstm ignore init and gain (initGatedWeights). */
  cell?: Arch;
  inputSize: number;
  hiddenSize: number;
  numClasses: number;
  /** W_hh: Xavier-normal(gain) or orthogonal x gain. W_ih and fc.weight are always Xavier-normal(gain). */
  init: RnnInit;
  gain: number;
  seed: number;
}

/** Xavier-normal (Glorot) matrix [rows, cols]: entries N(0, (gain * sqrt(2 / (fan_in + fan_out)))^2), fan_in = cols. */
export function xavierNormal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const std = gain * Math.sqrt(2 / (rows + cols));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
  return out;
}

/**
 * Orthogonal matrix [n, n] times gain: Q of the QR decomposition of a standard Gaussian matrix with
 * diag(R) > 0 (as torch.nn.init.orthogonal_), which makes Q Haar-distributed. Modified Gram-Schmidt
 * with one re-orthogonalisation pass, in float64.
 */
export function orthogonal(n: number, gain: number, rng: Rng): Float32Array {
  // Columns of the Gaussian matrix, orthonormalised in order.
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = gain * cols[j][i];
  return out;
}

/**
 * All six tensors of a fresh model, deterministic in `seed`. Vanilla RNN: Xavier/orthogonal as
 * configured, biases zero. GRU/LSTM: initGatedWeights (PyTorch's init), biases zeroed afterwards
 * when `bias` is false.
 */
export function initRnnWeights(o: RnnInitOptions & { bias?: boolean }): RnnWeights {
  const cell = o.cell ?? 'rnn';
  if (cell !== 'rnn') {
    const w = initGatedWeights(cell, o.inputSize, o.hiddenSize, o.numClasses, o.seed);
    if (o.bias === false) for (const n of ['bias_ih_l0', 'bias_hh_l0'] as const) w[n].data.fill(0);
    return w;
  }
  const { inputSize: D, hiddenSize: N, numClasses: C, gain } = o;
  const rng = createRng(deriveSeed(o.seed, 'init'));
  const weightIh = xavierNormal(N, D, gain, rng);
  const weightHh = o.init === 'orthogonal' ? orthogonal(N, gain, rng) : xavierNormal(N, N, gain, rng);
  const fcWeight = xavierNormal(C, N, gain, rng);
  return {
    weight_ih_l0: { shape: [N, D], data: weightIh },
    weight_hh_l0: { shape: [N, N], data: weightHh },
    bias_ih_l0: { shape: [N], data: new Float32Array(N) },
    bias_hh_l0: { shape: [N], data: new Float32Array(N) },
    'fc.weight': { shape: [C, N], data: fcWeight },
    'fc.bias': { shape: [C], data: new Float32Array(C) },
  };
}

/**
 * PyTorch's initialisation of nn.GRU / nn.LSTM plus an nn.Linear readout: every tensor (both
 * weight matrices, both biases, fc.weight and fc.bias) uniform(-1/sqrt(N), 1/sqrt(N)). For the
 * recurrent layer this is what nn.GRU/nn.LSTM.reset_parameters does (stdv = 1/sqrt(hidden_size));
 * for fc it is nn.Linear's default (kaiming_uniform with a = sqrt(5), i.e. bound 1/sqrt(fan_in),
 * fan_in = N, and the same bound for its bias). Drawn in TENSOR_NAMES order from the seeded rng,
 * so the same seed gives the same weights in every engine. Shapes [G*N, D], [G*N, N], [G*N],
 * [G*N], [C, N], [C] with the gates stacked in PyTorch order (gru r, z, n; lstm i, f, g, o).
 */
export function initGatedWeights(cell: Exclude<Arch, 'rnn'>, D: number, N: number, C: number, seed: number): RnnWeights {
  const rng = createRng(deriveSeed(seed, `init-${cell}`));
  const bound = 1 / Math.sqrt(N);
  const shapes = expectedShapes(cell, D, N, C);
  const out = {} as RnnWeights;
  for (const n of TENSOR_NAMES) {
    const size = shapes[n].reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = bound * (2 * rng.next() - 1);
    out[n] = { shape: shapes[n].slice(), data };
  }
  return out;
}

/**
 * Checks weights given to setWeights of either engine: all six tensors present, shapes equal to
 * `expected` (by name), data length = product(shape), biases zero for a bias-free model.
 * Throws RangeError naming the tensor.
 */
export function checkWeightsFor(
  weights: Record<RnnTensorName, { shape: readonly number[]; data: ArrayLike<number> }>,
  expected: (name: RnnTensorName) => readonly number[],
  hasBias: boolean,
): void {
  for (const n of RNN_TENSOR_NAMES) {
    const w = weights[n];
    if (!w) throw new RangeError(`setWeights: missing tensor "${n}"`);
    const shape = expected(n);
    if (w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
      throw new RangeError(`setWeights: "${n}" has shape [${w.shape.join(', ')}], the model needs [${shape.join(', ')}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== size) throw new RangeError(`setWeights: "${n}" has ${w.data.length} values, shape needs ${size}`);
    if (!hasBias && (n === 'bias_ih_l0' || n === 'bias_hh_l0') && Array.prototype.some.call(w.data, (v: number) => v !== 0)) {
      throw new RangeError(`setWeights: "${n}" is non-zero but the model is bias-free (bias=false)`);
    }
  }
}
