/**
 * The vanilla tanh RNN classifier in tfjs with PyTorch nn.RNN semantics (method.md §1):
 *   a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,  h_t = tanh(a_t),  z = fc.weight h_T + fc.bias,
 *   loss = cross-entropy of z (last step only), mean or sum over the batch.
 * The class owns its tf.Variables and its optimiser; call dispose() when done.
 * Per-op overhead dominates tfjs speed (docs/platform-notes.md), so by default the whole recurrence is
 * one op with a hand-written backward (recurrence.ts: 4 kernels per step forward, 4 backward),
 * and the readout runs only on the last step.
 */
import { ModelShapeFields, resolveModelOptions } from './modelOptions';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs umbrella does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { tanhRecurrence } from './recurrence';
import { checkWeightsFor, initRnnWeights, RNN_TENSOR_NAMES, type RnnTensorName, type RnnWeights, type TensorData } from './init';

export type { OptimizerName, Reduction, RnnModelOptions } from './modelOptions';
import type { Reduction, RnnModelOptions } from './modelOptions';

/** Loss and number of correct predictions of one batch (scalars the caller awaits and disposes). */
export interface StepResult {
  /** The training loss as reduced (mean or sum over the batch). */
  loss: tf.Scalar;
  /** Number of samples whose argmax logit equals the label. */
  correct: tf.Scalar;
}

export class RnnModel extends ModelShapeFields {
  readonly foldInputProjection: boolean;
  readonly recurrence: 'custom' | 'autodiff';
  /** The variables by PyTorch name. */
  readonly variables: Record<RnnTensorName, tf.Variable>;
  private readonly optimizer: tf.Optimizer;
  private readonly trainable: tf.Variable[];
  private disposed = false;

  constructor(options: RnnModelOptions) {
    const o = resolveModelOptions(options);
    super(o);
    this.foldInputProjection = options.foldInputProjection ?? false;
    this.recurrence = options.recurrence ?? 'custom';
    const weights = initRnnWeights({
      cell: this.cell,
      bias: this.hasBias,
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      numClasses: this.numClasses,
      init: o.init,
      gain: o.gain,
      seed: o.seed,
    });
    const isBias = (name: RnnTensorName) => name === 'bias_ih_l0' || name === 'bias_hh_l0';
    const vars = {} as Record<RnnTensorName, tf.Variable>;
    for (const name of RNN_TENSOR_NAMES) {
      const trainable = this.hasBias || !isBias(name);
      // tf variable names are global: let tfjs make them unique so several models can coexist.
      // The variable shares the initial tensor's data: dispose that tensor, or every model built
      // (rollback, context loss, engine switch) leaves one tensor per weight behind.
      const initial = tf.tensor(weights[name].data, weights[name].shape);
      vars[name] = tf.variable(initial, trainable);
      initial.dispose();
    }
    this.variables = vars;
    this.trainable = RNN_TENSOR_NAMES.filter((n) => this.hasBias || !isBias(n)).map((n) => vars[n]);
    const lr = o.lr;
    const opt = o.optimizer;
    this.optimizer = opt === 'sgd' ? tf.train.sgd(lr) : opt === 'adam' ? tf.train.adam(lr) : tf.train.rmsprop(lr);
  }

  /**
   * Logits of the last step: x [B, T, D] -> [B, C]. h0 [B, N] optional (zeros when absent); c0
   * [B, N] the LSTM's initial cell state (zeros when absent). Creates intermediate tensors: call
   * inside tf.tidy (or a gradient function).
   */
  logits(x: tf.Tensor3D, h0?: tf.Tensor2D, c0?: tf.Tensor2D): tf.Tensor2D {
    const [B, T, D] = x.shape;
    const N = this.hiddenSize;
    const v = this.variables;
    if (D !== this.inputSize) throw new RangeError(`input has D = ${D}, the model expects ${this.inputSize}`);
    if (this.cell !== 'rnn') return this.gatedLogits(x, h0, c0);
    const bias = this.hasBias ? tf.add(v.bias_ih_l0, v.bias_hh_l0) : null;
    // Time-major [T, B, D] first: unstacking along the leading axis is a contiguous slice on every
    // backend (unstacking axis 1 of [B, T, N] took ~180 ms per call on the cpu backend at T = 28).
    const xTime = tf.transpose(x, [1, 0, 2]);
    if (this.recurrence === 'custom') {
      // Bias as an extra input column of ones: x_aug [T, B, D+1], W_aug = [W_ih | b_ih + b_hh] [N, D+1].
      const xIn = bias ? tf.concat([xTime, tf.ones([T, B, 1])], 2) : xTime;
      const wIn = bias ? tf.concat([v.weight_ih_l0, tf.reshape(bias, [N, 1])], 1) : v.weight_ih_l0;
      const hT = tanhRecurrence(xIn as tf.Tensor3D, wIn as tf.Tensor2D, v.weight_hh_l0 as tf.Tensor2D, h0 ?? null);
      return tf.add(tf.matMul(hT, v['fc.weight'], false, true), v['fc.bias']);
    }
    let inputs: tf.Tensor2D[];
    if (this.foldInputProjection) {
      let proj: tf.Tensor2D = tf.matMul(tf.reshape(xTime, [T * B, D]), v.weight_ih_l0, false, true);
      if (bias) proj = tf.add(proj, bias);
      inputs = tf.unstack(tf.reshape(proj, [T, B, N]), 0) as tf.Tensor2D[];
    } else {
      inputs = (tf.unstack(xTime, 0) as tf.Tensor2D[]).map((xt) => {
        const p: tf.Tensor2D = tf.matMul(xt, v.weight_ih_l0, false, true);
        return bias ? tf.add<tf.Tensor2D>(p, bias) : p;
      });
    }
    let h: tf.Tensor2D | null = h0 ?? null;
    for (let t = 0; t < T; t++) {
      // With h0 = 0 the first recurrent term vanishes: skip its matMul.
      const a: tf.Tensor2D = h === null ? inputs[t] : tf.add<tf.Tensor2D>(inputs[t], tf.matMul(h, v.weight_hh_l0, false, true));
      h = tf.tanh(a);
    }
    if (h === null) throw new RangeError('empty sequence (T = 0)');
    return tf.add(tf.matMul(h, v['fc.weight'], false, true), v['fc.bias']);
  }

  /**
   * GRU / LSTM with PyTorch's equations and gate order, unrolled and differentiated by tfjs:
   *   gru:  r = s(Wir x + bir + Whr h + bhr), z = s(Wiz x + biz + Whz h + bhz),
   *         n = tanh(Win x + bin + r (Whn h + bhn)), h' = (1 - z) n + z h;
   *   lstm: [i f g o] = W_ih x + b_ih + W_hh h + b_hh, c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c').
   * x [B, T, D] -> logits [B, C] of the last step.
   */
  private gatedLogits(x: tf.Tensor3D, h0?: tf.Tensor2D, c0?: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = x.shape;
    const N = this.hiddenSize;
    const v = this.variables;
    if (T < 1) throw new RangeError('empty sequence (T = 0)');
    const G = this.cell === 'gru' ? 3 : 4;
    const inputs = tf.unstack(tf.transpose(x, [1, 0, 2]), 0) as tf.Tensor2D[];
    let h: tf.Tensor2D = h0 ?? tf.zeros([B, N]);
    let c: tf.Tensor2D = c0 ?? tf.zeros([B, N]);
    for (let t = 0; t < T; t++) {
      let gi: tf.Tensor2D = tf.matMul(inputs[t], v.weight_ih_l0, false, true);
      let gh: tf.Tensor2D = tf.matMul(h, v.weight_hh_l0, false, true);
      if (this.hasBias) {
        gi = tf.add(gi, v.bias_ih_l0);
        gh = tf.add(gh, v.bias_hh_l0);
      }
      if (G === 3) {
        const [ir, iz, iN] = tf.split(gi, 3, 1);
        const [hr, hz, hN] = tf.split(gh, 3, 1);
        const r = tf.sigmoid(tf.add(ir, hr));
        const z = tf.sigmoid(tf.add(iz, hz));
        const n = tf.tanh(tf.add(iN, tf.mul(r, hN)));
        h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D;
      } else {
        const [gI, gF, gG, gO] = tf.split(tf.add(gi, gh), 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(gF), c), tf.mul(tf.sigmoid(gI), tf.tanh(gG))) as tf.Tensor2D;
        h = tf.mul(tf.sigmoid(gO), tf.tanh(c)) as tf.Tensor2D;
      }
    }
    return tf.add(tf.matMul(h, v['fc.weight'], false, true), v['fc.bias']);
  }

  /** Per-sample cross-entropy [B] (natural log) of logits [B, C] against int32 labels [B]. */
  static crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
    const oneHot = tf.oneHot(labels, logits.shape[1]);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
  }

  /** The training loss (scalar): CE of the last step, reduced with `reduction` (default the model's). Call inside tidy. */
  loss(x: tf.Tensor3D, labels: tf.Tensor1D, h0?: tf.Tensor2D, reduction: Reduction = this.reduction, c0?: tf.Tensor2D): tf.Scalar {
    const ce = RnnModel.crossEntropy(this.logits(x, h0, c0), labels);
    return reduction === 'sum' ? tf.sum(ce) : tf.mean(ce);
  }

  /**
   * Autodiff gradients of the loss w.r.t. all six tensors (biases included even when fixed), for
   * checks against the Q/R gradient. c0: the LSTM's initial cell state. Returns kept tensors: the
   * caller disposes `loss` and `grads`.
   */
  gradients(
    x: tf.Tensor3D,
    labels: Int32Array,
    h0?: tf.Tensor2D,
    reduction: Reduction = this.reduction,
    c0?: tf.Tensor2D,
  ): { loss: tf.Scalar; grads: Record<RnnTensorName, tf.Tensor> } {
    return tf.tidy(() => {
      const y = tf.tensor1d(labels, 'int32');
      const list = RNN_TENSOR_NAMES.map((n) => this.variables[n]);
      const { value, grads } = tf.variableGrads(() => this.loss(x, y, h0, reduction, c0), list);
      const byName = {} as Record<RnnTensorName, tf.Tensor>;
      for (const n of RNN_TENSOR_NAMES) byName[n] = grads[this.variables[n].name];
      return { loss: value, grads: byName };
    });
  }

  /**
   * One optimiser step on x [B, T, D] with int32 labels [B]: gradients (with optional global-norm
   * clipping) applied to the trainable variables. Returns the loss of the batch BEFORE the update
   * as a scalar; await loss.data() outside any tidy (no dataSync in the hot path), then dispose it.
   */
  trainStep(x: tf.Tensor3D, labels: Int32Array): tf.Scalar {
    const { loss, correct } = this.trainStepWithStats(x, labels);
    correct.dispose();
    return loss;
  }

  /** trainStep that also returns the number of correct predictions; the caller disposes both scalars. */
  trainStepWithStats(x: tf.Tensor3D, labels: Int32Array): StepResult {
    if (this.disposed) throw new Error('RnnModel used after dispose()');
    let correct: tf.Scalar | null = null;
    const loss = tf.tidy(() => {
      const y = tf.tensor1d(labels, 'int32');
      const { value, grads } = tf.variableGrads(() => {
        const logits = this.logits(x, undefined);
        // Accuracy from the same forward pass; kept so it survives the tidy (caller disposes).
        correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
        const ce = RnnModel.crossEntropy(logits, y);
        return this.reduction === 'sum' ? tf.sum(ce) : tf.mean(ce);
      }, this.trainable);
      this.optimizer.applyGradients(this.clip > 0 ? clipByGlobalNorm(grads, this.clip) : grads);
      return value;
    });
    return { loss, correct: correct as unknown as tf.Scalar };
  }

  /**
   * Mean loss (per-sample CE at T) and accuracy on x [B, T, D], labels [B], in batches of
   * `batchSize` to bound memory. Awaits each batch's result asynchronously.
   */
  async evaluate(x: tf.Tensor3D, labels: Int32Array, batchSize = 500): Promise<{ loss: number; acc: number }> {
    const B = x.shape[0];
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < B; start += batchSize) {
      const size = Math.min(batchSize, B - start);
      const [l, c] = tf.tidy(() => {
        const xb = tf.slice(x, [start, 0, 0], [size, -1, -1]);
        const y = tf.tensor1d(labels.subarray(start, start + size), 'int32');
        const logits = this.logits(xb);
        return [tf.sum(RnnModel.crossEntropy(logits, y)), tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'))];
      });
      const [lv, cv] = await Promise.all([l.data(), c.data()]);
      l.dispose();
      c.dispose();
      lossSum += lv[0];
      correct += cv[0];
    }
    return { loss: lossSum / B, acc: correct / B };
  }

  /** Copies of all six tensors (Float32Array, PyTorch names and shapes), read asynchronously. */
  async getWeights(): Promise<RnnWeights> {
    const out = {} as RnnWeights;
    await Promise.all(
      RNN_TENSOR_NAMES.map(async (n) => {
        const v = this.variables[n];
        out[n] = { shape: v.shape.slice(), data: Float32Array.from(await v.data()) };
      }),
    );
    return out;
  }

  /**
   * Overwrites the variables (import, restore after a lost GPU context). Shapes must match; a
   * bias-free model only accepts zero biases. Optimiser state is kept.
   */
  setWeights(weights: Record<RnnTensorName, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    checkWeightsFor(weights, (n) => this.variables[n].shape, this.hasBias);
    tf.tidy(() => {
      for (const n of RNN_TENSOR_NAMES) this.variables[n].assign(tf.tensor(Float32Array.from(weights[n].data), this.variables[n].shape));
    });
  }

  /** Frees the variables and the optimiser's state. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const n of RNN_TENSOR_NAMES) this.variables[n].dispose();
    this.optimizer.dispose();
  }
}

/** Scales all gradients by min(1, maxNorm / ||g||) where ||g|| is the norm of all of them together. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const names = Object.keys(grads);
  const sq = names.map((n) => tf.sum(tf.square(grads[n])));
  const norm = tf.sqrt(tf.addN(sq));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
  const out: tf.NamedTensorMap = {};
  for (const n of names) out[n] = tf.mul(grads[n], scale);
  return out;
}

export type { RnnWeights, TensorData, RnnTensorName };
