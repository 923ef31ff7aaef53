/**
 * Seeded initial weights of the vanilla RNN, generated on the CPU in float64 and stored as
 * Float32Array (then uploaded once with tf.tensor): identical on every backend and machine.
 * PyTorch names and shapes (formats.md): weight_ih_l0 [N, D], weight_hh_l0 [N, N],
 * bias_ih_l0 [N], bias_hh_l0 [N], fc.weight [C, N], fc.bias [C].
 */
import { TENSOR_NAMES, type TensorName } from '../core/formats/model';
import { createRng, deriveSeed, type Rng } from '../core/rng';

/** The model file's PyTorch tensor names (core/formats/model.ts), in the order we write them. */
export const RNN_TENSOR_NAMES = TENSOR_NAMES;
export type RnnTensorName = TensorName;

/** One tensor as plain data: row-major `data` with `shape` (the ftle-lab.model/v1 layout). */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}
export type RnnWeights = Record<RnnTensorName, TensorData>;

export type RnnInit = 'xavier' | 'orthogonal';

export interface RnnInitOptions {
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

/** All six tensors of a fresh model; biases are zero. Deterministic in `seed`. */
export function initRnnWeights(o: RnnInitOptions): RnnWeights {
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
