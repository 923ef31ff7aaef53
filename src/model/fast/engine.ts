/**
 * FastRnn: a hand-written training engine for the vanilla tanh RNN with RnnModel's semantics
 * (PyTorch nn.RNN names, initRnnWeights init, CE of the last step with mean or sum reduction,
 * SGD / Adam / RMSprop with tfjs's update formulas, global-norm clipping, bias on or off).
 * Forward and exact BPTT run on float32 buffers preallocated in one heap (TrainingKernels), so a
 * training step allocates nothing and has no per-op dispatch: the per-op overhead that dominates
 * tfjs at these sizes (docs/performance.md) is gone.
 *
 * Layouts (float offsets into the heap): parameters, gradients and the two optimiser slots share
 * the RNN_TENSOR_NAMES order [W_ih N*D | W_hh N*N | b_ih N | b_hh N | fc.weight C*N | fc.bias C];
 * the batch is time-major: xT [T][B][D], hidden states H [T+1][B][N] (slot 0 = h_0), dA [T][B][N].
 *
 * GRU and LSTM (option `cell`, G = 3 or 4 gates stacked in PyTorch order): the same parameter,
 * gradient and optimiser blocks with tensors [G*N, D], [G*N, N], [G*N], [G*N], [C, N], [C]. The
 * matrix products run on the same gemm kernels (all input projections GI [T][B][G*N] in one gemm,
 * h_{t-1} W_hh^T per step, and the weight gradients as sums over all T*B rows); the gate
 * nonlinearities and their derivatives are plain JS loops over the heap (Math.exp / Math.tanh).
 * Extra batch regions: GI [T][B][G*N] (input side + b_ih; for the LSTM the whole pre-activation),
 * GH [T][B][G*N] (GRU: W_hh h + b_hh, whose n block the reset gate multiplies), ACT [T][B][G*N]
 * (gate values), CS [T+1][B][N] (LSTM cell states), TC [T][B][N] (LSTM tanh(c_t)), and their
 * gradients dGI, dGH [T][B][G*N].
 */
import {
  checkWeightsFor,
  type FlatParamLayout,
  flatParamLayout,
  initRnnWeights,
  packFlatWeights,
  RNN_TENSOR_NAMES,
  type RnnTensorName,
  type RnnWeights,
  unpackFlatWeights,
} from '../init';
import { expectedShapes, GATES } from '../../core/formats/model';
import type { Reduction, RnnModelOptions } from '../rnn';
import { OptimizerFields, resolveModelOptions } from '../modelOptions';
import { countSubnormals, SUBNORMAL_FLUSH_BELOW, type TrainingKernels } from './kernels';

/**
 * The tfjs model's options (same names, same meaning, same seeded init) plus the optimiser
 * epsilon; the tfjs-only switches (recurrence, foldInputProjection) do not apply.
 */
export type FastRnnOptions = Omit<RnnModelOptions, 'recurrence' | 'foldInputProjection'> & {
  /** Optimiser epsilon; tfjs uses the backend's, 1e-7 for float32 backends. */
  epsilon?: number;
  /**
   * BPTT deltas and gradient sums with magnitude below this are written as 0 (default
   * SUBNORMAL_FLUSH_BELOW = 2^-100, docs/method.md "Subnormal flush"); 0 = IEEE arithmetic exactly.
   */
  flushBelow?: number;
};

/**
 * Lays regions out one after another in the kernels' heap (offsets in floats): take(n) returns the
 * next region's offset and moves past n floats, rounded up so every region starts on a 4-float
 * (16-byte) boundary for the SIMD kernels; end() is where the next region would start.
 */
function heapCursor(start: number): { take(floats: number): number; end(): number } {
  const up4 = (v: number) => (v + 3) & ~3;
  let at = up4(start);
  return {
    take(floats) {
      const off = at;
      at += up4(floats);
      return off;
    },
    end: () => at,
  };
}

const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));

/** Loss of the batch (reduced as configured) before the update, and the number of correct argmaxes. */
export interface FastStepResult {
  loss: number;
  correct: number;
}

const BETA1 = 0.9,
  BETA2 = 0.999,
  RMS_DECAY = 0.9,
  RMS_MOMENTUM = 0;

export class FastRnn extends OptimizerFields {
  /** Deltas and gradient sums below this magnitude are flushed to 0 (FastRnnOptions.flushBelow). */
  readonly flushBelow: number;
  readonly kernels: TrainingKernels;
  private readonly gates: number;
  /** Float offset and size of each tensor inside a parameter-shaped block. */
  private readonly layout: FlatParamLayout;
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
  // Gated cells only (G*N columns; see the module comment).
  private GI = 0;
  private GH = 0;
  private ACT = 0;
  private CS = 0;
  private TC = 0;
  private dGI = 0;
  private dGH = 0;
  private dC = 0;
  /** Float32 running products beta^t of Adam, as tfjs keeps them (float32 scalars). */
  private accBeta1 = Math.fround(BETA1);
  private accBeta2 = Math.fround(BETA2);
  private disposed = false;

  constructor(options: FastRnnOptions, kernels: TrainingKernels) {
    const o = { ...options, ...resolveModelOptions(options) };
    super(o);
    this.flushBelow = options.flushBelow ?? SUBNORMAL_FLUSH_BELOW;
    if (!(this.flushBelow >= 0 && this.flushBelow < 2 ** -60)) throw new RangeError(`flushBelow ${this.flushBelow} must be in [0, 2^-60)`);
    this.kernels = kernels;
    const D = this.inputSize,
      N = this.hiddenSize,
      C = this.numClasses;
    const shapes = expectedShapes(this.cell, D, N, C);
    this.gates = GATES[this.cell];
    const GN = this.gates * N;
    const { layout, nParams } = flatParamLayout(shapes);
    this.layout = layout;
    this.nParams = nParams;
    const heap = heapCursor(kernels.base());
    this.P = heap.take(this.nParams);
    this.G = heap.take(this.nParams);
    this.S1 = heap.take(this.nParams);
    this.S2 = heap.take(this.nParams);
    this.wihT = heap.take(D * GN);
    this.whhT = heap.take(N * GN);
    this.fcT = heap.take(N * C);
    this.biasSum = heap.take(N);
    this.gWihT = heap.take(D * N);
    this.gBias = heap.take(N);
    this.batchBase = heap.end();
    kernels.reserve(heap.end());
    kernels.heap().fill(0, this.P, heap.end());
    this.setWeights(
      initRnnWeights({
        cell: this.cell,
        inputSize: D,
        hiddenSize: N,
        numClasses: C,
        init: o.init,
        gain: o.gain,
        seed: o.seed,
        bias: this.hasBias,
      }),
    );
  }

  /** Sizes the batch buffers for B sequences of T steps (grows only; offsets stay 4-aligned). */
  private ensureBatch(B: number, T: number): void {
    const N = this.hiddenSize,
      D = this.inputSize,
      C = this.numClasses;
    const rows = B * T;
    if (rows <= this.capacity && B <= this.capB) return;
    const cap = Math.max(rows, this.capacity),
      capB = Math.max(B, this.capB);
    const heap = heapCursor(this.batchBase);
    this.xT = heap.take(cap * D);
    // H holds T+1 slots of B rows: cap rows plus one extra slot of capB rows.
    this.H = heap.take((cap + capB) * N);
    this.dA = heap.take(cap * N);
    this.dH = heap.take(capB * N);
    this.Z = heap.take(capB * C);
    this.dZ = heap.take(capB * C);
    this.ones = heap.take(cap);
    if (this.gates > 1) {
      const GN = this.gates * N;
      this.GI = heap.take(cap * GN);
      this.GH = heap.take(cap * GN);
      this.ACT = heap.take(cap * GN);
      this.CS = heap.take((cap + capB) * N);
      this.TC = heap.take(cap * N);
      this.dGI = heap.take(cap * GN);
      this.dGH = heap.take(cap * GN);
      this.dC = heap.take(capB * N);
    }
    this.kernels.reserve(heap.end());
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
    const N = this.hiddenSize,
      D = this.inputSize,
      C = this.numClasses;
    this.ensureBatch(B, T);
    if (c0 && this.cell !== 'lstm') throw new RangeError('c0 is for the LSTM only');
    const k = this.kernels;
    let h = k.heap();
    // Time-major copy of the inputs: row (t, b) of xT is x[b][t][:].
    const xT = this.xT;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const src = (b * T + t) * D,
          dst = xT + (t * B + b) * D;
        for (let d = 0; d < D; d++) h[dst + d] = x[src + d];
      }
    }
    const slot = B * N;
    if (h0) {
      if (h0.length !== slot) throw new RangeError(`h0 has ${h0.length} values, needs B*N = ${slot}`);
      for (let i = 0; i < slot; i++) h[this.H + i] = h0[i];
    } else h.fill(0, this.H, this.H + slot);
    if (this.gates > 1) this.recurGated(B, T, c0);
    else this.recurTanh(B, T, h0 !== undefined);
    // Logits of the last step.
    k.gemm(this.Z, this.H + T * slot, N, 1, this.fcT, B, N, C, false);
    h = k.heap();
    const fcb = this.P + this.layout['fc.bias'].off;
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) h[this.Z + b * C + c] += h[fcb + c];
    return T;
  }

  /** The tanh recurrence: H[1..T] from H[0] and xT (see forward). */
  private recurTanh(B: number, T: number, withH0: boolean): void {
    const N = this.hiddenSize,
      D = this.inputSize;
    const k = this.kernels;
    const h = k.heap();
    const slot = B * N;
    // All input projections in one gemm: H[1..T] = bias + xT W_ih^T (T*B rows).
    const H1 = this.H + slot;
    if (this.hasBias) {
      const bs = this.biasSum;
      for (let r = 0; r < T * B; r++) h.copyWithin(H1 + r * N, bs, bs + N);
    }
    k.gemm(H1, this.xT, D, 1, this.wihT, T * B, D, N, this.hasBias);
    for (let t = 1; t <= T; t++) {
      const Ht = this.H + t * slot;
      // With h_0 = 0 the first recurrent term vanishes.
      if (t > 1 || withH0) k.gemm(Ht, Ht - slot, N, 1, this.whhT, B, N, N, true);
      k.tanh(Ht, slot);
    }
  }

  /**
   * The GRU / LSTM recurrence (PyTorch equations, method.md §1): H[1..T] (and the LSTM's CS[1..T])
   * from H[0], CS[0] = c0 (zeros when absent) and xT, keeping the gate values in ACT for backward.
   *   gru:  r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r gh_n), h = (1 - z) n + z h_prev
   *   lstm: [i f g o] = s, s, tanh, s of (gi + W_hh h_prev), c = f c_prev + i g, h = o tanh(c)
   * with gi = W_ih x + b_ih (+ b_hh for the LSTM) and gh = W_hh h_prev + b_hh.
   */
  private recurGated(B: number, T: number, c0?: ArrayLike<number>): void {
    const N = this.hiddenSize,
      D = this.inputSize,
      G = this.gates,
      GN = G * N;
    const k = this.kernels,
      L = this.layout;
    const slot = B * N,
      gslot = B * GN;
    let h = k.heap();
    if (G === 4) {
      if (c0) {
        if (c0.length !== slot) throw new RangeError(`c0 has ${c0.length} values, needs B*N = ${slot}`);
        for (let i = 0; i < slot; i++) h[this.CS + i] = c0[i];
      } else h.fill(0, this.CS, this.CS + slot);
    }
    const bih = this.P + L.bias_ih_l0.off,
      bhh = this.P + L.bias_hh_l0.off;
    if (this.hasBias) {
      for (let r = 0; r < T * B; r++) {
        const row = this.GI + r * GN;
        for (let j = 0; j < GN; j++) h[row + j] = G === 4 ? h[bih + j] + h[bhh + j] : h[bih + j];
      }
    }
    k.gemm(this.GI, this.xT, D, 1, this.wihT, T * B, D, GN, this.hasBias);
    for (let t = 1; t <= T; t++) {
      const Hp = this.H + (t - 1) * slot,
        Ht = Hp + slot;
      const gi = this.GI + (t - 1) * gslot,
        act = this.ACT + (t - 1) * gslot;
      if (G === 3) {
        const gh = this.GH + (t - 1) * gslot;
        h = k.heap();
        if (this.hasBias) for (let b = 0; b < B; b++) h.copyWithin(gh + b * GN, bhh, bhh + GN);
        k.gemm(gh, Hp, N, 1, this.whhT, B, N, GN, this.hasBias);
        h = k.heap();
        for (let b = 0; b < B; b++) {
          const ri = gi + b * GN,
            rh = gh + b * GN,
            ra = act + b * GN,
            hp = Hp + b * N,
            ho = Ht + b * N;
          for (let i = 0; i < N; i++) {
            const r = sigmoid(h[ri + i] + h[rh + i]);
            const z = sigmoid(h[ri + N + i] + h[rh + N + i]);
            const n = Math.tanh(h[ri + 2 * N + i] + r * h[rh + 2 * N + i]);
            h[ho + i] = (1 - z) * n + z * h[hp + i];
            h[ra + i] = r;
            h[ra + N + i] = z;
            h[ra + 2 * N + i] = n;
          }
        }
      } else {
        k.gemm(gi, Hp, N, 1, this.whhT, B, N, GN, true);
        h = k.heap();
        const cp = this.CS + (t - 1) * slot,
          ct = cp + slot,
          tc = this.TC + (t - 1) * slot;
        for (let b = 0; b < B; b++) {
          const rg = gi + b * GN,
            ra = act + b * GN,
            o0 = b * N;
          for (let u = 0; u < N; u++) {
            const ig = sigmoid(h[rg + u]);
            const fg = sigmoid(h[rg + N + u]);
            const gg = Math.tanh(h[rg + 2 * N + u]);
            const og = sigmoid(h[rg + 3 * N + u]);
            const c = fg * h[cp + o0 + u] + ig * gg;
            h[ct + o0 + u] = c;
            const tcv = Math.tanh(h[ct + o0 + u]);
            h[tc + o0 + u] = tcv;
            h[Ht + o0 + u] = og * tcv;
            h[ra + u] = ig;
            h[ra + N + u] = fg;
            h[ra + 2 * N + u] = gg;
            h[ra + 3 * N + u] = og;
          }
        }
      }
    }
  }

  /**
   * Exact BPTT of a GRU / LSTM for the loss whose dL/dz is in dZ, into the gradient block G:
   * per step the gate gradients dGI (input side) and dGH (hidden side; the LSTM's are the same)
   * [B][G*N], dh_prev = (local part) + dGH W_hh, then every weight gradient as one gemm over all
   * T*B rows (dW_hh = sum_t dGH_t^T H_{t-1}, dW_ih = sum_t dGI_t^T x_t, biases = column sums).
   */
  private backwardGated(B: number, T: number): void {
    const N = this.hiddenSize,
      D = this.inputSize,
      C = this.numClasses,
      G = this.gates,
      GN = G * N;
    const k = this.kernels,
      L = this.layout,
      Gr = this.G;
    const slot = B * N,
      gslot = B * GN;
    k.gemm(Gr + L['fc.weight'].off, this.dZ, 1, C, this.H + T * slot, C, B, N, false);
    k.gemm(this.dH, this.dZ, C, 1, this.P + L['fc.weight'].off, B, C, N, false);
    let h = k.heap();
    if (G === 4) h.fill(0, this.dC, this.dC + slot);
    const dGHsrc = G === 3 ? this.dGH : this.dGI;
    for (let t = T; t >= 1; t--) {
      h = k.heap();
      const Hp = this.H + (t - 1) * slot,
        act = this.ACT + (t - 1) * gslot;
      const dgi = this.dGI + (t - 1) * gslot;
      if (G === 3) {
        const gh = this.GH + (t - 1) * gslot,
          dgh = this.dGH + (t - 1) * gslot;
        for (let b = 0; b < B; b++) {
          const ra = act + b * GN,
            rh = gh + b * GN,
            di = dgi + b * GN,
            dh2 = dgh + b * GN,
            o0 = b * N;
          for (let i = 0; i < N; i++) {
            const g = h[this.dH + o0 + i];
            const r = h[ra + i],
              z = h[ra + N + i],
              n = h[ra + 2 * N + i],
              hn = h[rh + 2 * N + i];
            const dan = g * (1 - z) * (1 - n * n);
            const daz = g * (h[Hp + o0 + i] - n) * z * (1 - z);
            const dar = dan * hn * r * (1 - r);
            h[di + i] = dar;
            h[di + N + i] = daz;
            h[di + 2 * N + i] = dan;
            h[dh2 + i] = dar;
            h[dh2 + N + i] = daz;
            h[dh2 + 2 * N + i] = dan * r;
            h[this.dH + o0 + i] = g * z;
          }
        }
      } else {
        const cp = this.CS + (t - 1) * slot,
          tc = this.TC + (t - 1) * slot;
        for (let b = 0; b < B; b++) {
          const ra = act + b * GN,
            di = dgi + b * GN,
            o0 = b * N;
          for (let u = 0; u < N; u++) {
            const dh = h[this.dH + o0 + u];
            const ig = h[ra + u],
              fg = h[ra + N + u],
              gg = h[ra + 2 * N + u],
              og = h[ra + 3 * N + u];
            const tcv = h[tc + o0 + u];
            const dc = h[this.dC + o0 + u] + dh * og * (1 - tcv * tcv);
            h[di + u] = dc * gg * ig * (1 - ig);
            h[di + N + u] = dc * h[cp + o0 + u] * fg * (1 - fg);
            h[di + 2 * N + u] = dc * ig * (1 - gg * gg);
            h[di + 3 * N + u] = dh * tcv * og * (1 - og);
            h[this.dC + o0 + u] = dc * fg;
            h[this.dH + o0 + u] = 0;
          }
        }
      }
      // The step's deltas out of the subnormal range before the gemms read them (see backward).
      if (this.flushBelow > 0) {
        k.flushTiny(dgi, gslot, this.flushBelow);
        if (G === 3) k.flushTiny(this.dGH + (t - 1) * gslot, gslot, this.flushBelow);
        else k.flushTiny(this.dC, slot, this.flushBelow);
      }
      // dh_{t-1} += dGH_t W_hh (W_hh [G*N][N] row-major is the B operand as stored).
      k.gemm(this.dH, dGHsrc + (t - 1) * gslot, GN, 1, this.P + L.weight_hh_l0.off, B, GN, N, true);
      if (this.flushBelow > 0) k.flushTiny(this.dH, slot, this.flushBelow);
    }
    // Weight gradients over all (t, b) rows; H_0 rows pair with step 1 (zero when h_0 = 0).
    k.gemm(Gr + L.weight_hh_l0.off, dGHsrc, 1, GN, this.H, GN, T * B, N, false);
    k.gemm(Gr + L.weight_ih_l0.off, this.dGI, 1, GN, this.xT, GN, T * B, D, false);
    k.gemm(Gr + L.bias_ih_l0.off, this.ones, 1, 1, this.dGI, 1, T * B, GN, false);
    k.gemm(Gr + L.bias_hh_l0.off, this.ones, 1, 1, dGHsrc, 1, T * B, GN, false);
    h = k.heap();
    const fcb = Gr + L['fc.bias'].off;
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let b = 0; b < B; b++) sum += h[this.dZ + b * C + c];
      h[fcb + c] = sum;
    }
    if (this.flushBelow > 0) k.flushTiny(Gr, this.nParams, this.flushBelow);
  }

  /**
   * Cross-entropy of the logits Z against labels; writes dZ = dLoss/dz [B][C] (scaled by 1/B for
   * mean reduction) when `withGrad`. Returns the summed per-sample CE and the number of correct argmaxes.
   */
  private readout(labels: ArrayLike<number>, B: number, withGrad: boolean, scale: number): { ceSum: number; correct: number } {
    const C = this.numClasses;
    const h = this.kernels.heap();
    let ceSum = 0,
      correct = 0;
    for (let b = 0; b < B; b++) {
      const z = this.Z + b * C;
      const y = labels[b];
      if (!(Number.isInteger(y) && y >= 0 && y < C)) throw new RangeError(`label ${y} of sample ${b} is not in 0..${C - 1}`);
      let max = -Infinity,
        arg = 0;
      for (let c = 0; c < C; c++)
        if (h[z + c] > max) {
          max = h[z + c];
          arg = c;
        }
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
    const N = this.hiddenSize,
      D = this.inputSize,
      C = this.numClasses;
    const k = this.kernels,
      L = this.layout,
      G = this.G;
    const slot = B * N;
    const HT = this.H + T * slot;
    // Readout: dfc.weight = dZ^T H_T, dfc.bias = sum_b dZ, dH_T = dZ fc.weight.
    k.gemm(G + L['fc.weight'].off, this.dZ, 1, C, HT, C, B, N, false);
    k.gemm(this.dH, this.dZ, C, 1, this.P + L['fc.weight'].off, B, C, N, false);
    for (let t = T; t >= 1; t--) {
      const dAt = this.dA + (t - 1) * slot;
      k.tanhGrad(dAt, this.dH, this.H + t * slot, slot, this.flushBelow);
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
    // Gradient sums too (Adam's m and v then decay from normal values; a threaded sum adds normals).
    if (this.flushBelow > 0) k.flushTiny(G, this.nParams, this.flushBelow);
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
  computeGradients(
    x: ArrayLike<number>,
    labels: ArrayLike<number>,
    B: number,
    reduction: Reduction = this.reduction,
    h0?: ArrayLike<number>,
    c0?: ArrayLike<number>,
  ): FastStepResult {
    if (labels.length < B) throw new RangeError(`${labels.length} labels for a batch of ${B}`);
    const T = this.forward(x, B, h0, c0);
    const scale = reduction === 'mean' ? 1 / B : 1;
    const { ceSum, correct } = this.readout(labels, B, true, scale);
    if (this.gates > 1) this.backwardGated(B, T);
    else this.backward(B, T, h0 !== undefined);
    return { loss: ceSum * scale, correct };
  }

  /**
   * Forward + BPTT of a sub-batch x [B][T][D], labels [B], with dL/dz scaled by `scale` (1/B_total
   * for a mean over the WHOLE batch, 1 for a sum), into the gradient block. Returns the summed
   * per-sample CE (unscaled) and the correct count. A threaded step (threaded.ts) runs this on each
   * thread's rows and sums the blocks; with one thread and scale 1/B it is computeGradients exactly.
   */
  subBatchGradients(x: ArrayLike<number>, labels: ArrayLike<number>, B: number, scale: number): { ceSum: number; correct: number } {
    if (labels.length < B) throw new RangeError(`${labels.length} labels for a batch of ${B}`);
    const T = this.forward(x, B);
    const r = this.readout(labels, B, true, scale);
    // The cell's own BPTT, as computeGradients: the tanh recurrence's backward on a GRU/LSTM's buffers is meaningless.
    if (this.gates > 1) this.backwardGated(B, T);
    else this.backward(B, T, false);
    return r;
  }

  /**
   * Float32 subnormals (0 < |v| < 2^-126) left by the last backward pass in its deltas (tanh: dA
   * [T][B][N]; GRU/LSTM: dGI and dGH [T][B][G*N]) and in the gradient block: the count that
   * confirms the cause of the slow steps (docs/method.md "Subnormal flush"); 0 with the flush on.
   */
  subnormalCounts(B: number, T: number): { deltas: number; gradients: number } {
    const h = this.kernels.heap();
    const N = this.hiddenSize;
    const deltas =
      this.gates > 1
        ? countSubnormals(h, this.dGI, T * B * this.gates * N) +
          (this.gates === 3 ? countSubnormals(h, this.dGH, T * B * this.gates * N) : 0)
        : countSubnormals(h, this.dA, T * B * N);
    return { deltas, gradients: countSubnormals(h, this.G, this.nParams) };
  }

  /** Number of floats in a parameter-shaped block (the six tensors in RNN_TENSOR_NAMES order). */
  get parameterCount(): number {
    return this.nParams;
  }

  /** Live view of the gradient block [nParams] (RNN_TENSOR_NAMES order); invalid after the heap grows. */
  gradientView(): Float32Array {
    return this.kernels.heap().subarray(this.G, this.G + this.nParams);
  }

  /** Live view of the parameter block [nParams]; write through setParameterBlock, which refreshes the derived copies. */
  parameterView(): Float32Array {
    return this.kernels.heap().subarray(this.P, this.P + this.nParams);
  }

  /** Overwrites all parameters from a block [nParams] in RNN_TENSOR_NAMES order (no shape checks: same model). */
  setParameterBlock(src: ArrayLike<number>): void {
    if (src.length < this.nParams) throw new RangeError(`parameter block has ${src.length} floats, needs ${this.nParams}`);
    const h = this.kernels.heap();
    for (let i = 0; i < this.nParams; i++) h[this.P + i] = src[i];
    this.refreshDerived();
  }

  /**
   * The optimiser step on whatever the gradient block holds now (e.g. a threaded sum); see
   * applyGradients. The block is flushed first (a sum of blocks can cancel below the threshold).
   */
  applyGradientBlock(): void {
    if (this.disposed) throw new Error('FastRnn used after dispose()');
    if (this.flushBelow > 0) this.kernels.flushTiny(this.G, this.nParams, this.flushBelow);
    this.applyGradients();
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
    const lr = this.lr,
      eps = this.epsilon;
    const f = Math.fround;
    if (this.optimizer === 'adam') {
      const oneMinusAcc1 = f(1 - this.accBeta1),
        oneMinusAcc2 = f(1 - this.accBeta2);
      const c1 = f(1 - BETA1),
        c2 = f(1 - BETA2);
      for (const n of names) {
        const { off, size } = this.layout[n];
        for (let i = off; i < off + size; i++) {
          const g = f(h[this.G + i] * scale);
          const m = f(h[this.S1 + i] * BETA1 + g * c1);
          const v = f(h[this.S2 + i] * BETA2 + g * g * c2);
          h[this.S1 + i] = m;
          h[this.S2 + i] = v;
          const mHat = m / oneMinusAcc1,
            vHat = v / oneMinusAcc2;
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

  /** Recomputes W_ih^T [D][G*N], W_hh^T [N][G*N], fc.weight^T and (rnn) b_ih + b_hh from the parameters. */
  private refreshDerived(): void {
    const h = this.kernels.heap();
    const N = this.hiddenSize,
      D = this.inputSize,
      C = this.numClasses,
      L = this.layout,
      GN = this.gates * N;
    const transpose = (src: number, rows: number, cols: number, dst: number) => {
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) h[dst + c * rows + r] = h[src + r * cols + c];
    };
    transpose(this.P + L.weight_ih_l0.off, GN, D, this.wihT);
    transpose(this.P + L.weight_hh_l0.off, GN, N, this.whhT);
    transpose(this.P + L['fc.weight'].off, C, N, this.fcT);
    if (this.gates === 1)
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
  evaluate(
    x: ArrayLike<number> & { subarray?: unknown },
    labels: ArrayLike<number>,
    B: number,
    batchSize = 64,
  ): { loss: number; acc: number } {
    const T = this.checkBatch(x, B);
    const per = T * this.inputSize;
    const xs = ArrayBuffer.isView(x) ? (x as unknown as Float32Array) : Float32Array.from(x);
    const ys = ArrayBuffer.isView(labels) ? (labels as unknown as Int32Array) : Int32Array.from(labels);
    let ceSum = 0,
      correct = 0;
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
    return unpackFlatWeights(this.layout, this.kernels.heap(), block);
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
    packFlatWeights(this.layout, weights, this.kernels.heap(), this.P);
    this.refreshDerived();
  }

  /** Releases the buffers (the heap itself belongs to the kernels object). */
  dispose(): void {
    this.disposed = true;
  }
}
