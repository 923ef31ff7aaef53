/**
 * FastRnn: a hand-written training engine for the vanilla tanh RNN with RnnModel's semantics
 * (PyTorch nn.RNN names, initRnnWeights init, CE of the last step with mean or sum reduction,
 * SGD / Adam / RMSprop with tfjs's update formulas, global-norm clipping, bias on or off).
 * Forward and exact BPTT run on float32 buffers preallocated in one heap (FastKernels), so a
 * training step allocates nothing and has no per-op dispatch: the per-op overhead that dominates
 * tfjs at these sizes (docs/performance.md) is gone.
 *
 * Layouts (float offsets into the heap): parameters, gradients and the two optimiser slots share
 * the RNN_TENSOR_NAMES order [W_ih N*D | W_hh N*N | b_ih N | b_hh N | fc.weight C*N | fc.bias C];
 * the batch is time-major: xT [T][B][D], hidden states H [T+1][B][N] (slot 0 = h_0), dA [T][B][N].
 *
 * GRU and LSTM (option `cell`): the parameters, gradients, optimiser and clipping are the same
 * float32 heap blocks (tensors [G*N, D], [G*N, N], [G*N], [G*N], [C, N], [C]); forward and exact
 * BPTT are the float64 reference cells of src/core/dynamics (cells.ts step/backward through
 * gradients.ts bpttSample), run per sequence on a float64 copy of the float32 parameters, with
 * the summed gradient rounded to float32. The WASM gemm/tanh kernels do not fit the gate
 * nonlinearities, so this path is plain JS loops (slower than the vanilla path, same semantics).
 */
import { checkWeightsFor, initRnnWeights, RNN_TENSOR_NAMES, type RnnTensorName, type RnnWeights } from '../init';
import { expectedShapes, type Arch, type ModelWeights, type TensorName } from '../../core/formats/model';
import { createCell, type Cell } from '../../core/dynamics/cells';
import { runTrajectory, type Trajectory } from '../../core/dynamics/trajectory';
import { bpttSample } from '../../core/dynamics/gradients';
import type { OptimizerName, Reduction, RnnModelOptions } from '../rnn';
import type { FastKernels } from './kernels';

/**
 * The tfjs model's options (same names, same meaning, same seeded init) plus the optimiser
 * epsilon; the tfjs-only switches (recurrence, foldInputProjection) do not apply.
 */
export type FastRnnOptions = Omit<RnnModelOptions, 'recurrence' | 'foldInputProjection'> & {
  /** Optimiser epsilon; tfjs uses the backend's, 1e-7 for float32 backends. */
  epsilon?: number;
};

/** Float64 state of the gated path: the cell over float64 copies of the parameters, and per-sequence trajectories. */
interface GatedState {
  weights: ModelWeights;
  cell: Cell;
  trajs: Trajectory[];
  x64: Float64Array;
  s0: Float64Array;
  T: number;
}

/** Loss of the batch (reduced as configured) before the update, and the number of correct argmaxes. */
export interface FastStepResult {
  loss: number;
  correct: number;
}

const BETA1 = 0.9, BETA2 = 0.999, RMS_DECAY = 0.9, RMS_MOMENTUM = 0;

export class FastRnn {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numClasses: number;
  readonly hasBias: boolean;
  readonly reduction: Reduction;
  readonly clip: number;
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly epsilon: number;
  readonly kernels: FastKernels;
  /** Recurrent cell: 'rnn' runs the SIMD path, 'gru'/'lstm' the float64 reference cells. */
  readonly cell: Arch;
  private readonly gated: GatedState | null;
  /** Float offset and size of each tensor inside a parameter-shaped block. */
  private readonly layout: Record<RnnTensorName, { off: number; size: number; shape: number[] }>;
  private readonly nParams: number;
  // Fixed regions (float offsets).
  private readonly P: number; // parameters
  private readonly G: number; // gradients
  private readonly S1: number; // Adam m / RMSprop mean square
  private readonly S2: number; // Adam v / RMSprop moment
  private readonly wihT: number; // [D][N]
  private readonly whhT: number; // [N][N]
  private readonly fcT: number; // [N][C]
  private readonly biasSum: number; // [N] b_ih + b_hh
  private readonly gWihT: number; // [D][N] dW_ih^T scratch
  private readonly gBias: number; // [N] bias gradient scratch
  private readonly batchBase: number;
  // Batch regions, sized for `capacity` = B*T rows.
  private capacity = 0;
  private capB = 0;
  private xT = 0;
  private H = 0;
  private dA = 0;
  private dH = 0;
  private Z = 0;
  private dZ = 0;
  private ones = 0; // [capacity] of 1: the row sums of dA as a gemm
  /** Float32 running products beta^t of Adam, as tfjs keeps them (float32 scalars). */
  private accBeta1 = Math.fround(BETA1);
  private accBeta2 = Math.fround(BETA2);
  private disposed = false;

  constructor(o: FastRnnOptions, kernels: FastKernels) {
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numClasses = o.numClasses ?? 10;
    this.hasBias = o.bias ?? true;
    this.reduction = o.reduction ?? 'mean';
    this.clip = o.clip ?? 0;
    this.optimizer = o.optimizer ?? 'adam';
    this.lr = o.lr ?? 0.001;
    this.epsilon = o.epsilon ?? 1e-7;
    this.kernels = kernels;
    this.cell = o.cell ?? 'rnn';
    const D = this.inputSize, N = this.hiddenSize, C = this.numClasses;
    const shapes = expectedShapes(this.cell, D, N, C);
    if (this.cell === 'rnn') this.gated = null;
    else {
      const tensors = {} as Record<TensorName, Float64Array>;
      for (const n of RNN_TENSOR_NAMES) tensors[n] = new Float64Array(shapes[n].reduce((a, b) => a * b, 1));
      const weights: ModelWeights = { arch: this.cell, inputSize: D, hiddenSize: N, numClasses: C, tensors };
      const cell = createCell(weights);
      this.gated = { weights, cell, trajs: [], x64: new Float64Array(0), s0: new Float64Array(cell.stateSize), T: 0 };
    }
    const layout = {} as Record<RnnTensorName, { off: number; size: number; shape: number[] }>;
    let off = 0;
    for (const n of RNN_TENSOR_NAMES) {
      const size = shapes[n].reduce((a, b) => a * b, 1);
      layout[n] = { off, size, shape: shapes[n] };
      off += size;
    }
    this.layout = layout;
    this.nParams = off;
    // Regions start on 4-float (16-byte) boundaries for the SIMD kernels.
    const up4 = (v: number) => (v + 3) & ~3;
    const blk = up4(this.nParams);
    let at = up4(kernels.base());
    this.P = at; at += blk;
    this.G = at; at += blk;
    this.S1 = at; at += blk;
    this.S2 = at; at += blk;
    this.wihT = at; at += up4(D * N);
    this.whhT = at; at += up4(N * N);
    this.fcT = at; at += up4(N * C);
    this.biasSum = at; at += up4(N);
    this.gWihT = at; at += up4(D * N);
    this.gBias = at; at += up4(N);
    this.batchBase = at;
    kernels.reserve(at);
    kernels.heap().fill(0, this.P, at);
    this.setWeights(initRnnWeights({ cell: this.cell, inputSize: D, hiddenSize: N, numClasses: C, init: o.init ?? 'xavier', gain: o.gain ?? 1, seed: o.seed, bias: this.hasBias }));
  }

  /** Sizes the batch buffers for B sequences of T steps (grows only; offsets stay 4-aligned). */
  private ensureBatch(B: number, T: number): void {
    const N = this.hiddenSize, D = this.inputSize, C = this.numClasses;
    const rows = B * T;
    if (rows <= this.capacity && B <= this.capB) return;
    const cap = Math.max(rows, this.capacity), capB = Math.max(B, this.capB);
    const up4 = (v: number) => (v + 3) & ~3;
    let at = this.batchBase;
    this.xT = at; at += up4(cap * D);
    // H holds T+1 slots of B rows: cap rows plus one extra slot of capB rows.
    this.H = at; at += up4((cap + capB) * N);
    this.dA = at; at += up4(cap * N);
    this.dH = at; at += up4(capB * N);
    this.Z = at; at += up4(capB * C);
    this.dZ = at; at += up4(capB * C);
    this.ones = at; at += up4(cap);
    this.kernels.reserve(at);
    this.kernels.heap().fill(1, this.ones, this.ones + cap);
    this.capacity = cap;
    this.capB = capB;
  }

  private checkBatch(x: ArrayLike<number>, B: number): number {
    if (this.disposed) throw new Error('FastRnn used after dispose()');
    const D = this.inputSize;
    if (!(Number.isInteger(B) && B >= 1)) throw new RangeError(`batch size ${B} must be a positive integer`);
    const T = x.length / (B * D);
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`input has ${x.length} values: not B*T*D with B = ${B}, D = ${D}`);
    return T;
  }

  /**
   * Forward pass of x [B][T][D] (h0 [B][N] optional, zeros when absent) into H [T+1][B][N] and the
   * logits Z [B][C]. Returns T.
   */
  private forward(x: ArrayLike<number>, B: number, h0?: ArrayLike<number>, c0?: ArrayLike<number>): number {
    const T = this.checkBatch(x, B);
    const N = this.hiddenSize, D = this.inputSize, C = this.numClasses;
    this.ensureBatch(B, T);
    if (this.gated) {
      this.forwardGated(this.gated, x, B, T, h0, c0);
      return T;
    }
    const k = this.kernels;
    let h = k.heap();
    // Time-major copy of the inputs: row (t, b) of xT is x[b][t][:].
    const xT = this.xT;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const src = (b * T + t) * D, dst = xT + (t * B + b) * D;
        for (let d = 0; d < D; d++) h[dst + d] = x[src + d];
      }
    }
    const slot = B * N;
    if (h0) {
      if (h0.length !== slot) throw new RangeError(`h0 has ${h0.length} values, needs B*N = ${slot}`);
      for (let i = 0; i < slot; i++) h[this.H + i] = h0[i];
    } else h.fill(0, this.H, this.H + slot);
    // All input projections in one gemm: H[1..T] = bias + xT W_ih^T (T*B rows).
    const H1 = this.H + slot;
    if (this.hasBias) {
      const bs = this.biasSum;
      for (let r = 0; r < T * B; r++) h.copyWithin(H1 + r * N, bs, bs + N);
    }
    k.gemm(H1, xT, D, 1, this.wihT, T * B, D, N, this.hasBias);
    for (let t = 1; t <= T; t++) {
      const Ht = this.H + t * slot;
      // With h_0 = 0 the first recurrent term vanishes.
      if (t > 1 || h0) k.gemm(Ht, Ht - slot, N, 1, this.whhT, B, N, N, true);
      k.tanh(Ht, slot);
    }
    // Logits of the last step.
    k.gemm(this.Z, this.H + T * slot, N, 1, this.fcT, B, N, C, false);
    h = k.heap();
    const fcb = this.P + this.layout['fc.bias'].off;
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) h[this.Z + b * C + c] += h[fcb + c];
    return T;
  }

  /**
   * Gated forward: each sequence's float64 trajectory (states [T+1][S], gate caches) kept for
   * backwardGated, logits into Z [B][C]. h0/c0 [B][N] optional (c0: LSTM only).
   */
  private forwardGated(g: GatedState, x: ArrayLike<number>, B: number, T: number, h0?: ArrayLike<number>, c0?: ArrayLike<number>): void {
    const N = this.hiddenSize, D = this.inputSize, C = this.numClasses;
    const S = g.cell.stateSize;
    if (h0 && h0.length !== B * N) throw new RangeError(`h0 has ${h0.length} values, needs B*N = ${B * N}`);
    if (c0 && (this.cell !== 'lstm' || c0.length !== B * N)) throw new RangeError(this.cell === 'lstm' ? `c0 has ${c0.length} values, needs B*N = ${B * N}` : 'c0 is for the LSTM only');
    if (g.x64.length < B * T * D) g.x64 = new Float64Array(B * T * D);
    for (let i = 0; i < B * T * D; i++) g.x64[i] = x[i];
    const logits = new Float64Array(C);
    const h = this.kernels.heap();
    for (let b = 0; b < B; b++) {
      g.s0.fill(0);
      if (h0) for (let i = 0; i < N; i++) g.s0[i] = h0[b * N + i];
      if (c0) for (let i = 0; i < N; i++) g.s0[N + i] = c0[b * N + i];
      g.trajs[b] = runTrajectory(g.cell, g.x64, b * T * D, T, h0 || c0 ? g.s0 : null, g.trajs[b]);
      g.cell.readout(g.trajs[b].states, T * S, logits, 0);
      for (let c = 0; c < C; c++) h[this.Z + b * C + c] = logits[c];
    }
    g.T = T;
  }

  /**
   * Gated BPTT of the batch's loss (per-sample CE times `scale`, summed) along the trajectories
   * of the last forwardGated: float64 sums of bpttSample's per-sequence gradients, rounded into G.
   */
  private backwardGated(g: GatedState, B: number, labels: ArrayLike<number>, scale: number): void {
    const L = this.layout, T = g.T;
    const sums: Record<RnnTensorName, Float64Array> = {} as Record<RnnTensorName, Float64Array>;
    for (const n of RNN_TENSOR_NAMES) sums[n] = new Float64Array(L[n].size);
    const add = (n: RnnTensorName, v: Float64Array) => {
      const s = sums[n];
      for (let i = 0; i < s.length; i++) s[i] += v[i] * scale;
    };
    for (let b = 0; b < B; b++) {
      const r = bpttSample(g.cell, g.x64, b * T * this.inputSize, g.trajs[b], labels[b]);
      add('weight_ih_l0', r.cell.weight_ih);
      add('weight_hh_l0', r.cell.weight_hh);
      add('bias_ih_l0', r.cell.bias_ih);
      add('bias_hh_l0', r.cell.bias_hh);
      add('fc.weight', r.fcWeight);
      add('fc.bias', r.fcBias);
    }
    const h = this.kernels.heap();
    for (const n of RNN_TENSOR_NAMES) h.set(sums[n], this.G + L[n].off);
  }

  /**
   * Cross-entropy of the logits Z against labels; writes dZ = dLoss/dz [B][C] (scaled by 1/B for
   * mean reduction) when `withGrad`. Returns the summed per-sample CE and the number of correct argmaxes.
   */
  private readout(labels: ArrayLike<number>, B: number, withGrad: boolean, scale: number): { ceSum: number; correct: number } {
    const C = this.numClasses;
    const h = this.kernels.heap();
    let ceSum = 0, correct = 0;
    for (let b = 0; b < B; b++) {
      const z = this.Z + b * C;
      const y = labels[b];
      if (!(Number.isInteger(y) && y >= 0 && y < C)) throw new RangeError(`label ${y} of sample ${b} is not in 0..${C - 1}`);
      let max = -Infinity, arg = 0;
      for (let c = 0; c < C; c++) if (h[z + c] > max) { max = h[z + c]; arg = c; }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(h[z + c] - max);
      const lse = max + Math.log(sum);
      ceSum += lse - h[z + y];
      if (arg === y) correct++;
      if (withGrad) {
        const dz = this.dZ + b * C;
        for (let c = 0; c < C; c++) h[dz + c] = (Math.exp(h[z + c] - lse) - (c === y ? 1 : 0)) * scale;
      }
    }
    return { ceSum, correct };
  }

  /** Exact BPTT of the loss whose dL/dz is in dZ, into the gradient block G (all six tensors). */
  private backward(B: number, T: number, withH0: boolean): void {
    const N = this.hiddenSize, D = this.inputSize, C = this.numClasses;
    const k = this.kernels, L = this.layout, G = this.G;
    const slot = B * N;
    const HT = this.H + T * slot;
    // Readout: dfc.weight = dZ^T H_T, dfc.bias = sum_b dZ, dH_T = dZ fc.weight.
    k.gemm(G + L['fc.weight'].off, this.dZ, 1, C, HT, C, B, N, false);
    k.gemm(this.dH, this.dZ, C, 1, this.P + L['fc.weight'].off, B, C, N, false);
    for (let t = T; t >= 1; t--) {
      const dAt = this.dA + (t - 1) * slot;
      k.tanhGrad(dAt, this.dH, this.H + t * slot, slot);
      if (t > 1 || withH0) k.gemm(this.dH, dAt, N, 1, this.P + L.weight_hh_l0.off, B, N, N, false);
    }
    // dW_hh = sum_t dA_t^T H_{t-1}: one gemm over all (t, b) rows (H_0 = 0 contributes nothing).
    const t0 = withH0 ? 1 : 2;
    if (T >= t0) k.gemm(G + L.weight_hh_l0.off, this.dA + (t0 - 1) * slot, 1, N, this.H + (t0 - 1) * slot, N, (T - t0 + 1) * B, N, false);
    else k.heap().fill(0, G + L.weight_hh_l0.off, G + L.weight_hh_l0.off + N * N);
    // dW_ih^T [D][N] = xT^T dA (columns of N: the SIMD-friendly side even when D = 1), then transposed.
    k.gemm(this.gWihT, this.xT, 1, D, this.dA, D, T * B, N, false);
    // Both bias gradients are the column sums of dA over all (t, b) rows: ones^T dA.
    k.gemm(this.gBias, this.ones, 1, 1, this.dA, 1, T * B, N, false);
    const h = k.heap();
    const wih = G + L.weight_ih_l0.off;
    for (let d = 0; d < D; d++) for (let i = 0; i < N; i++) h[wih + i * D + d] = h[this.gWihT + d * N + i];
    h.copyWithin(G + L.bias_ih_l0.off, this.gBias, this.gBias + N);
    h.copyWithin(G + L.bias_hh_l0.off, this.gBias, this.gBias + N);
    const fcb = G + L['fc.bias'].off;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let b = 0; b < B; b++) s += h[this.dZ + b * C + c];
      h[fcb + c] = s;
    }
  }

  /** The tensors the optimiser updates (biases only when the model has them). */
  private trainedNames(): RnnTensorName[] {
    return RNN_TENSOR_NAMES.filter((n) => this.hasBias || (n !== 'bias_ih_l0' && n !== 'bias_hh_l0'));
  }

  /**
   * One optimiser step on x [B*T*D] (row-major [B][T][D]) with labels [B] (0..C-1): forward, BPTT,
   * optional global-norm clipping, update. Returns the batch loss before the update (mean or sum
   * CE, as configured) and the number of correct predictions.
   */
  trainStep(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): FastStepResult {
    const { loss, correct } = this.computeGradients(x, labels, B);
    this.applyGradients();
    return { loss, correct };
  }

  /**
   * Forward + BPTT without updating: the gradients are then readable with getGradients().
   * `reduction` overrides the model's; h0 [B][N] optional (and c0 [B][N] for the LSTM). Returns the reduced loss and the correct count.
   */
  computeGradients(x: ArrayLike<number>, labels: ArrayLike<number>, B: number, reduction: Reduction = this.reduction, h0?: ArrayLike<number>, c0?: ArrayLike<number>): FastStepResult {
    if (labels.length < B) throw new RangeError(`${labels.length} labels for a batch of ${B}`);
    const T = this.forward(x, B, h0, c0);
    const scale = reduction === 'mean' ? 1 / B : 1;
    const { ceSum, correct } = this.readout(labels, B, true, scale);
    if (this.gated) this.backwardGated(this.gated, B, labels, scale);
    else this.backward(B, T, h0 !== undefined);
    return { loss: ceSum * scale, correct };
  }

  /** Applies the optimiser to the gradients in G (clipped by global norm when clip > 0). */
  private applyGradients(): void {
    const h = this.kernels.heap();
    const names = this.trainedNames();
    let scale = 1;
    if (this.clip > 0) {
      let sq = 0;
      for (const n of names) {
        const { off, size } = this.layout[n];
        for (let i = this.G + off; i < this.G + off + size; i++) sq += h[i] * h[i];
      }
      const norm = Math.fround(Math.sqrt(sq));
      scale = Math.min(1, this.clip / Math.max(norm, 1e-12));
    }
    const lr = this.lr, eps = this.epsilon;
    const f = Math.fround;
    if (this.optimizer === 'adam') {
      const oneMinusAcc1 = f(1 - this.accBeta1), oneMinusAcc2 = f(1 - this.accBeta2);
      const c1 = f(1 - BETA1), c2 = f(1 - BETA2);
      for (const n of names) {
        const { off, size } = this.layout[n];
        for (let i = off; i < off + size; i++) {
          const g = f(h[this.G + i] * scale);
          const m = f(h[this.S1 + i] * BETA1 + g * c1);
          const v = f(h[this.S2 + i] * BETA2 + g * g * c2);
          h[this.S1 + i] = m;
          h[this.S2 + i] = v;
          const mHat = m / oneMinusAcc1, vHat = v / oneMinusAcc2;
          h[this.P + i] = h[this.P + i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
        }
      }
      this.accBeta1 = f(this.accBeta1 * f(BETA1));
      this.accBeta2 = f(this.accBeta2 * f(BETA2));
    } else if (this.optimizer === 'rmsprop') {
      for (const n of names) {
        const { off, size } = this.layout[n];
        for (let i = off; i < off + size; i++) {
          const g = f(h[this.G + i] * scale);
          const ms = f(h[this.S1 + i] * RMS_DECAY + g * g * (1 - RMS_DECAY));
          const mom = f(h[this.S2 + i] * RMS_MOMENTUM + (g * lr) / Math.sqrt(ms + eps));
          h[this.S1 + i] = ms;
          h[this.S2 + i] = mom;
          h[this.P + i] = h[this.P + i] - mom;
        }
      }
    } else {
      for (const n of names) {
        const { off, size } = this.layout[n];
        for (let i = off; i < off + size; i++) h[this.P + i] = h[this.P + i] - lr * f(h[this.G + i] * scale);
      }
    }
    this.refreshDerived();
  }

  /** Recomputes W_ih^T, W_hh^T, fc.weight^T and b_ih + b_hh (gated: the float64 copies) from the parameters. */
  private refreshDerived(): void {
    const h = this.kernels.heap();
    if (this.gated) {
      const t = this.gated.weights.tensors;
      for (const n of RNN_TENSOR_NAMES) {
        const { off, size } = this.layout[n];
        for (let i = 0; i < size; i++) t[n][i] = h[this.P + off + i];
      }
      return;
    }
    const N = this.hiddenSize, D = this.inputSize, C = this.numClasses, L = this.layout;
    const transpose = (src: number, rows: number, cols: number, dst: number) => {
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) h[dst + c * rows + r] = h[src + r * cols + c];
    };
    transpose(this.P + L.weight_ih_l0.off, N, D, this.wihT);
    transpose(this.P + L.weight_hh_l0.off, N, N, this.whhT);
    transpose(this.P + L['fc.weight'].off, C, N, this.fcT);
    for (let i = 0; i < N; i++) h[this.biasSum + i] = h[this.P + L.bias_ih_l0.off + i] + h[this.P + L.bias_hh_l0.off + i];
  }

  /** Logits of the last step for x [B][T][D] (h0 [B][N], LSTM c0 [B][N] optional): a new Float32Array [B*C]. */
  logits(x: ArrayLike<number>, B: number, h0?: ArrayLike<number>, c0?: ArrayLike<number>): Float32Array {
    this.forward(x, B, h0, c0);
    const C = this.numClasses;
    return this.kernels.heap().slice(this.Z, this.Z + B * C);
  }

  /**
   * Mean per-sample CE at the last step and accuracy on x [B][T][D] with labels [B], in chunks of
   * `batchSize` sequences (bounds the buffers: T = 784, N = 128 needs ~0.8 MB per sequence).
   */
  evaluate(x: ArrayLike<number> & { subarray?: unknown }, labels: ArrayLike<number>, B: number, batchSize = 64): { loss: number; acc: number } {
    const T = this.checkBatch(x, B);
    const per = T * this.inputSize;
    const xs = ArrayBuffer.isView(x) ? (x as unknown as Float32Array) : Float32Array.from(x);
    const ys = ArrayBuffer.isView(labels) ? (labels as unknown as Int32Array) : Int32Array.from(labels);
    let ceSum = 0, correct = 0;
    for (let start = 0; start < B; start += batchSize) {
      const size = Math.min(batchSize, B - start);
      this.forward(xs.subarray(start * per, (start + size) * per), size);
      const r = this.readout(ys.subarray(start, start + size), size, false, 1);
      ceSum += r.ceSum;
      correct += r.correct;
    }
    return { loss: ceSum / B, acc: correct / B };
  }

  private readBlock(block: number): RnnWeights {
    const h = this.kernels.heap();
    const out = {} as RnnWeights;
    for (const n of RNN_TENSOR_NAMES) {
      const { off, size, shape } = this.layout[n];
      out[n] = { shape: shape.slice(), data: h.slice(block + off, block + off + size) };
    }
    return out;
  }

  /** Copies of all six tensors (PyTorch names and shapes), like RnnModel.getWeights but synchronous. */
  getWeights(): RnnWeights {
    return this.readBlock(this.P);
  }

  /** The gradients of the last computeGradients/trainStep (before clipping), all six tensors. */
  getGradients(): RnnWeights {
    return this.readBlock(this.G);
  }

  /** Overwrites the parameters (same checks as RnnModel.setWeights); optimiser state is kept. */
  setWeights(weights: Record<RnnTensorName, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    checkWeightsFor(weights, (n) => this.layout[n].shape, this.hasBias);
    const h = this.kernels.heap();
    for (const n of RNN_TENSOR_NAMES) {
      const { off, size } = this.layout[n];
      const src = weights[n].data;
      for (let i = 0; i < size; i++) h[this.P + off + i] = src[i];
    }
    this.refreshDerived();
  }

  /** Releases the buffers (the heap itself belongs to the kernels object). */
  dispose(): void {
    this.disposed = true;
  }
}
