/**
 * Covariant Lyapunov vectors of a model on its probe set (method.md §9) and the CLV control of the
 * alignment statistic (method.md §4). Shared by `ftle-lab analyze --clv` and the app, so both give
 * the same numbers.
 *
 * The probe's CLVs are finite-time (both transients 0; clv.ts): V_0..V_T with V_T = Q_T.
 * Since C_t is upper triangular, span(v_1..v_m) = span(q_1..q_m) at every t, so the subspace
 * overlaps of method.md §4 are the SAME with CLVs as with Q (an identity, not a finding); only the
 * per-vector statistics can differ, and the control reports those: the paper statistic (std of
 * cos(v_a(t), right singular vector j of dL_t/dW_hh), a < nq, j < nsv) with CLVs in place of Q.
 */
import type { ModelWeights } from '../formats/model';
import type { AlignmentSummary } from '../snapshot';
import { type ProbeStepAlignment, cosineMatrix } from './alignment';
import { std } from '../stats/descriptive';
import { createCell } from './cells';
import { angleBetween, cellTangentMaps, covariantLyapunovVectors, pairedAngles } from './clv';
import { probeTrajectory } from './trajectory';

/** CLVs of every probe sequence. */
export interface ProbeClvs {
  B: number;
  T: number;
  S: number;
  k: number;
  /** V_t for t = 0..T per probe, [B][T+1][k][S] vector-major (unit columns). */
  clv: Float64Array;
  /** Q_t for t = 0..T per probe, same layout. */
  q: Float64Array;
  /** arccos |<v_a(t), q_a(t)>| [B][T+1][k], radians (0 for a = 0: v_1 = q_1). */
  clvQAngle: Float64Array;
  /** Angle between v_1(t) and v_2(t) [B][T+1], radians; NaN when k < 2. */
  firstTwoAngle: Float64Array;
}

/** Runs the CLV computation on every probe (inputs [B][T][D], h0/c0 optional), k vectors. */
export function probeClvs(
  weights: ModelWeights,
  probe: { B: number; T: number; inputs: Float64Array; h0?: Float64Array; c0?: Float64Array },
  k: number,
): ProbeClvs {
  const cell = createCell(weights);
  const S = cell.stateSize;
  const { B, T } = probe;
  const n = T + 1;
  const clv = new Float64Array(B * n * k * S);
  const q = new Float64Array(B * n * k * S);
  const clvQAngle = new Float64Array(B * n * k);
  const firstTwoAngle = new Float64Array(B * n).fill(NaN);
  for (let b = 0; b < B; b++) {
    const traj = probeTrajectory(cell, probe, b);
    const res = covariantLyapunovVectors(cellTangentMaps(cell, probe.inputs, b * T * cell.inputSize, traj), { k });
    clv.set(res.clv, b * n * k * S);
    q.set(res.q, b * n * k * S);
    clvQAngle.set(pairedAngles(res.clv, res.q, n, k, S), b * n * k);
    if (k >= 2) firstTwoAngle.set(angleBetween(res.clv, n, k, S), b * n);
  }
  return { B, T, S, k, clv, q, clvQAngle, firstTwoAngle };
}

/**
 * The first nq CLVs of probe b at step t as unit vectors in R^N (vector-major [nq][N]): the
 * vectors themselves for rnn/GRU (S = N); an LSTM's (h, c) vectors replaced by their h-blocks,
 * rescaled to unit length (not orthogonalised: that would undo what makes them covariant).
 */
export function clvHiddenVectors(c: ProbeClvs, b: number, t: number, nq: number, N: number): Float64Array {
  const { S, k, T } = c;
  if (nq > k) throw new Error(`clvHiddenVectors: ${nq} vectors asked, ${k} computed`);
  const out = new Float64Array(nq * N);
  const base = (b * (T + 1) + t) * k * S;
  for (let a = 0; a < nq; a++) {
    let n2 = 0;
    for (let i = 0; i < N; i++) n2 += c.clv[base + a * S + i] ** 2;
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let i = 0; i < N; i++) out[a * N + i] = c.clv[base + a * S + i] * inv;
  }
  return out;
}

/** The paper statistic with CLVs in place of Q, beside the same statistic with Q. */
export interface ClvAlignmentControl {
  steps: number[];
  /** Per step: sample std (ddof 1) over probes and (a, j) of cos(v_a(t), right sv j), a < nq, j < nsv. */
  clvStdPerStep: number[];
  /** The same with Q_t (the paper's statistic, as the alignment block reports it). */
  qStdPerStep: number[];
  /** Means over steps. */
  clvSummaryStd: number;
  qSummaryStd: number;
  /** 1/sqrt(N): the statistic for random directions. */
  nullCosStd: number;
}

/**
 * CLV control of the alignment: per (ProbeStepAlignment per probe and step, any cell: their q is
 * Q_t in R^N and svd.V the right singular vectors of dL_t/dW_hh in R^N), the CLVs of the same
 * probes (k >= nq), nq Q vectors / CLVs and nsv singular vectors. Shapes: see ClvAlignmentControl.
 */
export function clvAlignmentControl(
  per: ProbeStepAlignment[][],
  clvs: ProbeClvs,
  weights: ModelWeights,
  nq: number,
  nsv: number,
): ClvAlignmentControl {
  const N = weights.hiddenSize;
  const B = per.length;
  const steps = per[0].map((s) => s.t);
  const idx = Array.from({ length: nq }, (_, a) => a);
  const buf = new Float64Array(nq * nsv);
  const clvStdPerStep: number[] = [];
  const qStdPerStep: number[] = [];
  for (let s = 0; s < steps.length; s++) {
    const withClv: number[] = [];
    const withQ: number[] = [];
    for (let b = 0; b < B; b++) {
      const st = per[b][s];
      cosineMatrix(clvHiddenVectors(clvs, b, st.t, nq, N), idx, st.svd.V, nsv, N, buf);
      for (const v of buf) withClv.push(v);
      cosineMatrix(st.q, idx, st.svd.V, nsv, N, buf);
      for (const v of buf) withQ.push(v);
    }
    clvStdPerStep.push(std(withClv));
    qStdPerStep.push(std(withQ));
  }
  const mean = (x: number[]) => x.reduce((a, v) => a + v, 0) / x.length;
  return {
    steps,
    clvStdPerStep,
    qStdPerStep,
    clvSummaryStd: mean(clvStdPerStep),
    qSummaryStd: mean(qStdPerStep),
    nullCosStd: 1 / Math.sqrt(N),
  };
}

/** What the app's CLV panel draws for one epoch and probe (angles in degrees). */
export interface ClvPanelData {
  steps: number[];
  /** The paper statistic with Q and with CLVs, per step; the random-direction null 1/sqrt(N). */
  qStd: number[];
  clvStd: number[];
  nullStd: number;
  /** Angle between v_1 and v_2 at t = 0..T for the probe, degrees. */
  firstTwoDeg: number[];
  /** Its minimum and the step where it occurs. */
  minFirstTwoDeg: number;
  minAt: number;
  /** Time-mean angle of v_a to q_a, a = 1..kc, degrees. */
  vsQDeg: number[];
  /** One sentence for the reader. */
  summary: string;
}

const DEG = 180 / Math.PI;

/** The CLV panel's numbers for probe b of an epoch's alignment summary, or null without CLV fields. */
export function clvPanelData(a: AlignmentSummary | null, b: number): ClvPanelData | null {
  if (!a?.paperStdClv || !a.clvFirstTwoAngle || !a.clvQAngle) return null;
  const p = Math.min(b, a.clvFirstTwoAngle.length - 1);
  const firstTwoDeg = a.clvFirstTwoAngle[p].map((x) => x * DEG);
  let minFirstTwoDeg = Infinity;
  let minAt = 0;
  firstTwoDeg.forEach((x, t) => {
    if (x < minFirstTwoDeg) {
      minFirstTwoDeg = x;
      minAt = t;
    }
  });
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const q = mean(a.paperStd);
  const c = mean(a.paperStdClv);
  const summary =
    `Paper statistic averaged over steps: ${q.toFixed(3)} with Q, ${c.toFixed(3)} with covariant vectors (null ${a.nullCosStd.toFixed(3)}): ` +
    `${Math.abs(c - q) <= 0.1 * q ? 'about the same' : c > q ? 'stronger with CLVs' : 'weaker with CLVs'}; ` +
    `the first two CLVs come closest at step ${minAt} (${minFirstTwoDeg.toFixed(1)}°).`;
  return {
    steps: a.steps,
    qStd: a.paperStd,
    clvStd: a.paperStdClv,
    nullStd: a.nullCosStd,
    firstTwoDeg,
    minFirstTwoDeg,
    minAt,
    vsQDeg: a.clvQAngle[p].map((x) => x * DEG),
    summary,
  };
}
