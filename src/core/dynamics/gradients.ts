/**
 * Exact per-sample gradients in float64 (method.md §3): BPTT through any cell, the paper's Q/R
 * form delta_t = Q_t (R_T ... R_{t+1})^T Q_T^T g_T, reduced-rank Lyapunov-subspace gradients,
 * prefix-loss gradients dL_t/dW_hh and input gradients dL/dx_t.
 */
import type { Cell, CellGrads } from './cells';
import { createCellGrads, crossEntropy } from './cells';
import type { Trajectory } from './trajectory';
import type { QrIterationResult } from './lyapunov';
import { getAnalysisKernels } from '../kernels';

/** Per-sample gradients of one loss L = CE(readout(h_tLoss), y). */
export interface SampleGradients {
  /** Recurrent-layer parameter gradients (PyTorch shapes). */
  cell: CellGrads;
  /** dL/d fc.weight [C][N], dL/d fc.bias [C]. */
  fcWeight: Float64Array;
  fcBias: Float64Array;
  loss: number;
  /** Logits at tLoss [C]. */
  logits: Float64Array;
  /** dL/dstate_t (total) for t = 0..T, [(T+1)][S] (zero after tLoss), when wantDeltas. */
  deltas?: Float64Array;
  /** dL/dx_t, [T][D] (zero after tLoss), when wantDx. */
  dLdx?: Float64Array;
}

export interface BpttOptions {
  /** 1-based step whose readout defines the loss (default T: the training loss). */
  tLoss?: number;
  wantDeltas?: boolean;
  wantDx?: boolean;
  /**
   * Accumulate the recurrent-layer parameter gradients (default true). false skips their 2 G N^2
   * work per step (e.g. when only the deltas are needed); `cell` is then all zeros.
   */
  wantGrads?: boolean;
}

/**
 * Readout gradient at step t: writes logits (C) and g = dL/dstate_t = [fc.weight^T (softmax - onehot); 0]
 * (S floats) and returns the CE loss.
 */
export function readoutGradient(
  cell: Cell,
  traj: Trajectory,
  t: number,
  label: number,
  logits: Float64Array,
  dz: Float64Array,
  g: Float64Array,
): number {
  const S = cell.stateSize;
  const N = cell.hiddenSize;
  const C = cell.numClasses;
  cell.readout(traj.states, t * S, logits, 0);
  const loss = crossEntropy(logits, 0, C, label, dz, 0);
  const W = cell.weights.tensors['fc.weight'];
  g.fill(0, 0, S);
  for (let c = 0; c < C; c++) {
    const e = dz[c];
    for (let j = 0; j < N; j++) g[j] += W[c * N + j] * e;
  }
  return loss;
}

/**
 * Backpropagation through time for one sequence (inputs at xBase, [T][D]) along `traj`, for the
 * loss at step tLoss. Returns every parameter gradient (float64), and optionally all deltas and dL/dx.
 */
export function bpttSample(
  cell: Cell,
  inputs: Float64Array,
  xBase: number,
  traj: Trajectory,
  label: number,
  opts: BpttOptions = {},
): SampleGradients {
  const { T, S } = traj;
  const N = cell.hiddenSize;
  const C = cell.numClasses;
  const D = cell.inputSize;
  const tLoss = opts.tLoss ?? T;
  const wantGrads = opts.wantGrads ?? true;
  const logits = new Float64Array(C);
  const dz = new Float64Array(C);
  const deltas = opts.wantDeltas ? new Float64Array((T + 1) * S) : undefined;
  const dLdx = opts.wantDx ? new Float64Array(T * D) : undefined;
  let dOut = new Float64Array(S);
  let dIn = new Float64Array(S);
  const loss = readoutGradient(cell, traj, tLoss, label, logits, dz, dOut);
  const fcWeight = new Float64Array(C * N);
  const hT = tLoss * S;
  for (let c = 0; c < C; c++) for (let j = 0; j < N; j++) fcWeight[c * N + j] = dz[c] * traj.states[hT + j];
  const grads = createCellGrads(cell);
  for (let t = tLoss; t >= 1; t--) {
    if (deltas) deltas.set(dOut, t * S);
    backwardStep(cell, inputs, xBase, traj, t, dOut, 0, dIn, wantGrads ? grads : null, dLdx ?? null);
    const tmp = dOut;
    dOut = dIn;
    dIn = tmp;
  }
  if (deltas) deltas.set(dOut, 0);
  return { cell: grads, fcWeight, fcBias: dz.slice(), loss, logits, deltas, dLdx };
}

/**
 * cell.backward at step t (1-based) of a trajectory started at inputs[xBase]: dOut (S floats at
 * dOutOff) = dL/dstate_t in; writes dIn = dL/dstate_{t-1} and dx = dL/dx_t ([T][D], row t - 1)
 * when given, accumulates the step's parameter gradients into grads when given.
 */
function backwardStep(
  cell: Cell,
  inputs: Float64Array,
  xBase: number,
  traj: Trajectory,
  t: number,
  dOut: Float64Array,
  dOutOff: number,
  dIn: Float64Array | null,
  grads: CellGrads | null,
  dx: Float64Array | null,
): void {
  const S = cell.stateSize;
  const D = cell.inputSize;
  const cs = cell.cacheSize;
  const cache = cs > 0 ? traj.cache : null;
  cell.backward(
    inputs,
    xBase + (t - 1) * D,
    traj.states,
    (t - 1) * S,
    traj.states,
    t * S,
    cache,
    (t - 1) * cs,
    dOut,
    dOutOff,
    dIn,
    0,
    grads,
    dx,
    (t - 1) * D,
  );
}

/**
 * Parameter gradients of the recurrent layer from given total deltas dL/dstate_t (t = 1..tEnd,
 * [(T+1)][S]): sum over t of each step's local gradient. With BPTT deltas this is BPTT; with
 * Q/R-form or projected deltas it is the Q/R or reduced-rank gradient.
 */
export function gradsFromDeltas(
  cell: Cell,
  inputs: Float64Array,
  xBase: number,
  traj: Trajectory,
  deltas: Float64Array,
  tEnd = traj.T,
): CellGrads {
  const grads = createCellGrads(cell);
  for (let t = 1; t <= tEnd; t++) backwardStep(cell, inputs, xBase, traj, t, deltas, t * cell.stateSize, null, grads, null);
  return grads;
}

/**
 * dL/dW_hh of a vanilla tanh RNN (trajectory of N = S units) from given total deltas dL/dh_t
 * (t = 1..tEnd, [(T+1)][N]): sum_t diag(1 - h_t^2) delta_t h_{t-1}^T, the weight_hh of
 * gradsFromDeltas, formed as ONE [N][tEnd] x [tEnd][N] product on the analysis kernels instead of
 * tEnd rank-1 updates of the whole [N][N] sum in plain JS (each streams N^2 floats through the
 * cache: ~0.45 s per gradient at N = 512, T = 784, ~5x the product). The sum over t may be taken
 * in another order than gradsFromDeltas': equal to rounding, not bit for bit. Returns [N][N] row-major.
 */
export function rnnRecurrentGradient(traj: Trajectory, deltas: Float64Array, tEnd = traj.T): Float64Array {
  const { S: N, states } = traj;
  // Column t - 1 of each factor: a_t = (1 - h_t^2) delta_t and h_{t-1}, both vector-major [N][tEnd].
  const A = new Float64Array(N * tEnd);
  const H = new Float64Array(N * tEnd);
  for (let t = 1; t <= tEnd; t++) {
    for (let i = 0; i < N; i++) {
      const h = states[t * N + i];
      A[i * tEnd + t - 1] = deltas[t * N + i] * (1 - h * h);
      H[i * tEnd + t - 1] = states[(t - 1) * N + i];
    }
  }
  // out_r = H a_r: out[r][j] = sum_t h_{t-1}[j] a_t[r] = dW_hh[r][j].
  const out = new Float64Array(N * N);
  getAnalysisKernels().matrix(H, N, tEnd).timesVectors(A, N, out, null);
  return out;
}

/**
 * The Q/R form of the deltas (method.md §3), from a k = S run with keepAllQ and keepAllR:
 * y_T = Q_T^T g, y_{t-1} = R_t^T y_t, delta_t = Q_t y_t. g = dL/dstate_tEnd (S floats).
 * Returns [(T+1)][S] with delta_t for t = 0..tEnd.
 */
export function qrFormDeltas(run: QrIterationResult, g: Float64Array, tEnd = run.T): Float64Array {
  const { S, k, qAll, rAll, T } = run;
  if (k !== S || !qAll || !rAll) throw new Error('qrFormDeltas needs a k = S run with keepAllQ and keepAllR');
  const deltas = new Float64Array((T + 1) * S);
  let y = new Float64Array(k);
  let yPrev = new Float64Array(k);
  const qT = tEnd * k * S;
  for (let a = 0; a < k; a++) {
    let s = 0;
    for (let i = 0; i < S; i++) s += qAll[qT + a * S + i] * g[i];
    y[a] = s;
  }
  for (let t = tEnd; t >= 0; t--) {
    const qo = t * k * S;
    const d = t * S;
    for (let a = 0; a < k; a++) {
      const ya = y[a];
      for (let i = 0; i < S; i++) deltas[d + i] += qAll[qo + a * S + i] * ya;
    }
    if (t === 0) break;
    // y_{t-1} = R_t^T y_t (R_t upper triangular: (R^T y)_b = sum_{a<=b} R[a][b] y_a).
    const ro = (t - 1) * k * k;
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let a = 0; a <= b; a++) s += rAll[ro + a * k + b] * y[a];
      yPrev[b] = s;
    }
    const tmp = y;
    y = yPrev;
    yPrev = tmp;
  }
  return deltas;
}

/**
 * Projects deltas onto the first q forward Lyapunov vectors: delta_t^(q) = Q_t[:, :q] Q_t[:, :q]^T delta_t
 * for t = 1..T (Q_t from a run with keepAllQ and k >= q). Returns [(T+1)][S] (t = 0 left zero).
 */
export function projectDeltas(run: QrIterationResult, deltas: Float64Array, q: number): Float64Array {
  const { S, k, qAll, T } = run;
  if (!qAll || q > k) throw new Error('projectDeltas needs keepAllQ and q <= k');
  const out = new Float64Array((T + 1) * S);
  for (let t = 1; t <= T; t++) {
    const qo = t * k * S;
    const d = t * S;
    for (let a = 0; a < q; a++) {
      let c = 0;
      for (let i = 0; i < S; i++) c += qAll[qo + a * S + i] * deltas[d + i];
      for (let i = 0; i < S; i++) out[d + i] += c * qAll[qo + a * S + i];
    }
  }
  return out;
}

/** ||a - b|| / ||b|| (Frobenius); 0 when both vanish. */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  if (den === 0) return num === 0 ? 0 : Infinity;
  return Math.sqrt(num / den);
}

/** Frobenius cosine <a, b> / (||a|| ||b||) (NaN if either vanishes). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}
