/**
 * Forward QR iteration (method.md §2): Q_0 = I[:, :k]; for t = 1..T, Q_t R_t = J_t Q_{t-1}
 * (reduced QR, diag R_t > 0). R values r_i(t) = [R_t]_ii; FTLE_i(t) = (1/t) sum_{s<=t} ln r_i(s).
 *
 * Layout: Q is kept vector-major ([k][S], vector a contiguous) so J Q and Gram-Schmidt run on
 * contiguous memory; vectorsToRowMajor converts to the file layout [S][k].
 */
import type { Cell } from './cells';
import { mgsQr } from '../linalg/qr';
import type { Trajectory } from './trajectory';
import { probeTrajectory } from './trajectory';

export interface QrIterationOptions {
  /** Number of tracked vectors, 1 <= k <= S. */
  k: number;
  /** Keep Q_t for every t = 0..T ([(T+1)][k][S]); needed by Q/R gradients and alignment. */
  keepAllQ?: boolean;
  /** Keep Q_t only at these 1-based steps (0 = Q_0). */
  keepQAt?: number[];
  /** Keep every R_t ([T][k][k] row-major); needed by the Q/R gradient. */
  keepAllR?: boolean;
}

export interface QrIterationResult {
  T: number;
  S: number;
  k: number;
  /** ln r_i(t), [T][k] (natural log per step). */
  lnR: Float64Array;
  /** Q_T, vector-major [k][S]. */
  qFinal: Float64Array;
  /** Q_0..Q_T, [(T+1)][k][S] vector-major, when keepAllQ. */
  qAll?: Float64Array;
  /** Q_t at the requested steps (vector-major [k][S]), when keepQAt. */
  qAt?: Map<number, Float64Array>;
  /** R_1..R_T, [T][k][k] row-major (R_t at (t-1)*k*k), when keepAllR. */
  rAll?: Float64Array;
}

/** Reusable buffers for qrIteration (sized for S and k). */
export interface QrWorkspace {
  q: Float64Array;
  v: Float64Array;
  r: Float64Array;
}

export function createQrWorkspace(S: number, k: number): QrWorkspace {
  return { q: new Float64Array(k * S), v: new Float64Array(k * S), r: new Float64Array(k * k) };
}

/**
 * Runs the QR iteration along a trajectory of `cell` (inputs at xBase, [T][D]). Cost per step:
 * one J Q product (k S^2; the rnn never forms J) and Gram-Schmidt (2 k^2 S). Returns ln R [T][k]
 * and Q_T (plus all Q_t / R_t on request).
 */
export function qrIteration(
  cell: Cell,
  inputs: Float64Array,
  xBase: number,
  traj: Trajectory,
  opts: QrIterationOptions,
  ws?: QrWorkspace,
): QrIterationResult {
  const { T, S } = traj;
  const k = opts.k;
  if (!(k >= 1 && k <= S && Number.isInteger(k))) throw new Error(`qrIteration: k = ${k} must be an integer in 1..${S}`);
  const D = cell.inputSize;
  const w = ws && ws.q.length >= k * S && ws.r.length >= k * k ? ws : createQrWorkspace(S, k);
  let q = w.q;
  let v = w.v;
  const r = w.r;
  q.fill(0, 0, k * S);
  for (let a = 0; a < k; a++) q[a * S + a] = 1;
  const lnR = new Float64Array(T * k);
  const qAll = opts.keepAllQ ? new Float64Array((T + 1) * k * S) : undefined;
  const rAll = opts.keepAllR ? new Float64Array(T * k * k) : undefined;
  const want = opts.keepQAt ? new Set(opts.keepQAt) : null;
  const qAt = want ? new Map<number, Float64Array>() : undefined;
  if (qAll) qAll.set(q.subarray(0, k * S), 0);
  if (want?.has(0)) qAt!.set(0, q.slice(0, k * S));
  for (let t = 1; t <= T; t++) {
    if (cell.applyJacobianQr) cell.applyJacobianQr(traj.states, t * S, q, k, v, r);
    else {
      cell.applyJacobian(inputs, xBase + (t - 1) * D, traj.states, (t - 1) * S, traj.states, t * S, q, k, v);
      mgsQr(v, S, k, r);
    }
    const tmp = q;
    q = v;
    v = tmp;
    const o = (t - 1) * k;
    for (let a = 0; a < k; a++) lnR[o + a] = Math.log(r[a * k + a]);
    if (qAll) qAll.set(q.subarray(0, k * S), t * k * S);
    if (rAll) rAll.set(r.subarray(0, k * k), (t - 1) * k * k);
    if (want?.has(t)) qAt!.set(t, q.slice(0, k * S));
  }
  // Leave the workspace's q holding Q_T for the caller's next run (buffers were swapped T times).
  return { T, S, k, lnR, qFinal: q.slice(0, k * S), qAll, qAt, rAll };
}

/** FTLE_i(t) = (1/t) sum_{s<=t} ln r_i(s) for 1-based t, from lnR [T][k]; k floats. Divide by ln 2 for bits. */
export function ftleAt(lnR: Float64Array, k: number, t: number, out = new Float64Array(k)): Float64Array {
  out.fill(0, 0, k);
  for (let s = 0; s < t; s++) for (let a = 0; a < k; a++) out[a] += lnR[s * k + a];
  for (let a = 0; a < k; a++) out[a] /= t;
  return out;
}

/**
 * Running FTLE of vector i over time: FTLE_i(t) = (1/t) sum_{s<=t} ln r_i(s) for t = 1..T.
 * lnR: one probe, flat [T][k]; 0 <= i < k. Returns [T] (index 0 = t = 1), ln per step.
 */
export function runningFtle(lnR: ArrayLike<number>, T: number, k: number, i = 0): Float64Array {
  const out = new Float64Array(T);
  let s = 0;
  for (let t = 0; t < T; t++) {
    s += lnR[t * k + i];
    out[t] = s / (t + 1);
  }
  return out;
}

/** Q-iteration results for a whole probe set: lnR [B][T][k], spectrum [B][k] = FTLE_i(T). */
export interface ProbeLyapunov {
  B: number;
  T: number;
  k: number;
  S: number;
  lnR: Float64Array;
  spectrum: Float64Array;
  /** Per probe, the full per-sequence results (Q_T, optional Q_t / R_t). */
  runs: QrIterationResult[];
  /** Per probe trajectory (states and caches), when keepTrajectories. */
  trajectories?: Trajectory[];
}

/**
 * Runs trajectory + QR iteration for every probe sequence (inputs [B][T][D], h0/c0 [B][N]).
 * Buffers are shared across probes; per-probe results are returned. `onProbeDone(done, total)`
 * is called after each probe (progress of long analyses).
 */
export function probeLyapunov(
  cell: Cell,
  probe: { B: number; T: number; inputs: Float64Array; h0?: Float64Array; c0?: Float64Array },
  opts: QrIterationOptions & { keepTrajectories?: boolean; onProbeDone?: (done: number, total: number) => void },
): ProbeLyapunov {
  const { B, T } = probe;
  const S = cell.stateSize;
  const k = opts.k;
  const lnR = new Float64Array(B * T * k);
  const spectrum = new Float64Array(B * k);
  const ws = createQrWorkspace(S, k);
  const runs: QrIterationResult[] = [];
  const trajectories: Trajectory[] = [];
  let traj: Trajectory | undefined;
  for (let b = 0; b < B; b++) {
    traj = probeTrajectory(cell, probe, b, opts.keepTrajectories ? undefined : traj);
    if (opts.keepTrajectories) trajectories.push(traj);
    const run = qrIteration(cell, probe.inputs, b * T * cell.inputSize, traj, opts, ws);
    lnR.set(run.lnR, b * T * k);
    ftleAt(run.lnR, k, T, spectrum.subarray(b * k, (b + 1) * k));
    runs.push(run);
    opts.onProbeDone?.(b + 1, B);
  }
  return { B, T, k, S, lnR, spectrum, runs, trajectories: opts.keepTrajectories ? trajectories : undefined };
}
