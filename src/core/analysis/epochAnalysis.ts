/**
 * The dynamics part of an EpochSnapshot (src/core/snapshot.ts), computed after every training
 * epoch on the fixed probe set: ln R [B][T][k], the FTLE spectrum, the saturation fraction, the
 * live Q/R-vs-BPTT gradient check and the alignment summary with its controls.
 *
 * Budget: one QR pass per probe with kA vectors: all N (rnn) when 3 B T N^3 <= FULL_Q_BASIS_MACS,
 * so the paper's random-Q-index control draws among all N directions, as the paper's does, and the
 * last 10 Q vectors give a second control; else kA = min(S, max(k, 20, 5)) and the random indices
 * draw among those (AlignmentSummary.randomQPool says which). The first k give lnR; the first 10
 * are the paper's Q vectors. Plus
 * ~5 prefix-loss BPTTs and N x N SVDs per probe. The Q/R identity check runs on probe 0 only,
 * with k = S, and only when S <= 128 and T*S*S <= 4e6 floats (else NaN): storing every Q_t and R_t
 * beyond that costs hundreds of MB and seconds per epoch.
 */
import type { AlignmentSummary, EpochSnapshot } from '../snapshot';
import { GATES, type ModelWeights } from '../formats/model';
import { angleBetween, cellTangentMaps, covariantLyapunovVectors, pairedAngles } from '../dynamics/clv';
import { clvHiddenVectors, type ProbeClvs } from '../dynamics/clvAnalysis';
import { ANALYSIS_DEFAULTS } from './analysisDefaults';
import { createRng, deriveSeed } from '../rng';
import { createCell } from '../dynamics/cells';
import { ftleAt, probeLyapunov, qrIteration } from '../dynamics/lyapunov';
import { bpttSample, gradsFromDeltas, qrFormDeltas, relativeDifference } from '../dynamics/gradients';
import { cosineMatrix, defaultAlignmentSteps, probeStepAlignments, type ProbeStepAlignment } from '../dynamics/alignment';
import { participationRatio, subspaceOverlap } from '../linalg/svd';
import { alignmentSvd } from '../linalg/topSvd';
import { std } from '../stats/descriptive';
import { probeTrajectory } from '../dynamics/trajectory';

export interface EpochDynamicsOptions {
  /** Q vectors reported in lnR / spectrum (capped at S). */
  k: number;
  /** Number of alignment steps (default 5; evenly spaced, ending at T). */
  nAlignSteps?: number;
  /** Seed of the random-Q-index control. */
  seed: number;
  /**
   * Told after each probe of each phase: 'lyapunov' (trajectory + QR iteration), then 'alignment'
   * (prefix-loss gradients and their SVDs; rnn only). For progress displays only.
   */
  onProgress?: (phase: 'lyapunov' | 'alignment', done: number, total: number) => void;
  /** Budget for tracking the whole Q basis (default FULL_Q_BASIS_MACS; see above). */
  fullQBasisMacs?: number;
}

/**
 * The dynamics fields of an EpochSnapshot (their shapes and units are documented there):
 * lnR [B][T][k], spectrum [B][k], saturation, qrGradRelErr (NaN when skipped, see above),
 * alignment (rnn only; null for gru/lstm).
 */
export type EpochDynamics = Pick<EpochSnapshot, 'k' | 'lnR' | 'spectrum' | 'saturation' | 'qrGradRelErr' | 'alignment'>;

/** Probe inputs for the snapshot: inputs [B*T*D], labels [B], optional h0 / c0 [B*N]. */
export interface AnalysisProbe {
  B: number;
  T: number;
  D: number;
  inputs: Float64Array;
  labels: ArrayLike<number>;
  h0?: Float64Array;
  c0?: Float64Array;
}

const SATURATION_LEVEL = 0.99;

/**
 * Largest cost of a full-basis QR pass, ~3 B T N^3 multiply-adds (J Q plus two Gram-Schmidt
 * passes), for which the alignment tracks all N Q vectors: a few seconds with the WASM kernels.
 * Every preset but the paper's N = 512 one fits.
 */
export const FULL_Q_BASIS_MACS = 1.5e10;

/**
 * How many Q vectors the snapshot's QR pass tracks for B probes of T steps, state size S, k
 * reported: the whole basis (rnn) when its ~3 B T S^3 multiply-adds fit fullQBasisMacs, else
 * min(S, max(k, 20)) (the paper's 10 Q vectors and twice as many for the random-index pool),
 * which gated cells always take (their Jacobian products cost G times more, and an LSTM's
 * alignment basis is the h-blocks of these vectors: at most N of them).
 */
export function trackedQVectors(
  arch: ModelWeights['arch'],
  B: number,
  T: number,
  S: number,
  k: number,
  fullQBasisMacs = FULL_Q_BASIS_MACS,
): number {
  if (arch !== 'rnn') return Math.min(S, Math.max(k, 20));
  return 3 * B * T * S * S * S <= fullQBasisMacs ? S : Math.min(S, Math.max(k, 20));
}

/** Per-probe dynamics of a probe set (probeDynamics): nothing here mixes probes. */
export interface ProbeDynamics {
  /** ln r [B][T][k] (ln per step). */
  lnR: Float64Array;
  /** FTLE spectrum [B][k]. */
  spectrum: number[][];
  /** States with |h_i| > 0.99, counted over [B][T][N]. */
  saturated: number;
  /** Q/R-vs-BPTT relative error on probe 0 (NaN when skipped); undefined unless asked for. */
  qrGradRelErr?: number;
  /** Per probe, per alignment step (rnn only; null for gated cells). */
  alignment: ProbeStepAlignment[][];
}

/** The probes b0..b1-1 of a given QR pass over T steps (copies: cheap to post to a worker). */
export function sliceLyapunov(given: GivenLyapunov, T: number, b0: number, b1: number): GivenLyapunov {
  const n = T * given.kA;
  return { kA: given.kA, lnR: given.lnR.slice(b0 * n, b1 * n), qAt: given.qAt.slice(b0, b1) };
}

/** probeLyapunov's fields that probeDynamics reads, from a given QR pass (float64 trajectories computed here). */
function givenLyapunov(
  cell: ReturnType<typeof createCell>,
  probe: AnalysisProbe,
  kA: number,
  given: GivenLyapunov,
  onProgress?: (phase: 'lyapunov' | 'alignment', done: number) => void,
): {
  lnR: Float64Array;
  spectrum: Float64Array;
  runs: { qAt?: Map<number, Float64Array> }[];
  trajectories: ReturnType<typeof probeTrajectory>[];
} {
  const { B, T } = probe;
  if (given.kA !== kA || given.lnR.length !== B * T * kA || given.qAt.length !== B)
    throw new Error(
      `given QR pass has kA = ${given.kA}, ${given.lnR.length} ln r values and ${given.qAt.length} probes; expected kA = ${kA}, ${B * T * kA}, ${B}`,
    );
  const spectrum = new Float64Array(B * kA);
  const trajectories: ReturnType<typeof probeTrajectory>[] = [];
  for (let b = 0; b < B; b++) {
    trajectories.push(probeTrajectory(cell, probe, b));
    ftleAt(given.lnR.subarray(b * T * kA, (b + 1) * T * kA), kA, T, spectrum.subarray(b * kA, (b + 1) * kA));
    onProgress?.('lyapunov', b + 1);
  }
  return { lnR: given.lnR, spectrum, runs: given.qAt.map((qAt) => ({ qAt })), trajectories };
}

/**
 * A QR pass computed elsewhere for a probe set of B probes (the GPU analysis engine's float32 QR,
 * src/model/gpuAnalysis): ln r [B][T][kA] (ln per step) and, per probe, Q_t at the alignment steps
 * (step -> vector-major [kA][S]), with the same kA vectors, MGS order and diag R > 0 as qrIteration.
 */
export interface GivenLyapunov {
  kA: number;
  lnR: Float64Array;
  qAt: Map<number, Float64Array>[];
}

/**
 * The per-probe half of the dynamics, for probes that may be a slice of the probe set: the QR
 * pass with kA vectors (k reported), saturation counts, alignment steps (rnn) and, with
 * `qrCheck`, the Q/R identity check on this set's probe 0. `onProgress(phase, done)` counts probes.
 * With `given` the QR pass is not run: its ln r and Q_t are taken from `given` (the trajectories,
 * saturation, alignment SVDs, Q/R check and CLVs are still float64 here); without it the result is
 * bit-identical to before `given` existed.
 */
export function probeDynamics(
  weights: ModelWeights,
  probe: AnalysisProbe,
  k: number,
  kA: number,
  steps: number[],
  qrCheck: boolean,
  onProgress?: (phase: 'lyapunov' | 'alignment', done: number) => void,
  given?: GivenLyapunov,
): ProbeDynamics {
  const cell = createCell(weights);
  const { B, T } = probe;
  const S = cell.stateSize;
  const N = cell.hiddenSize;
  const L = given
    ? givenLyapunov(cell, probe, kA, given, onProgress)
    : probeLyapunov(cell, probe, {
        k: kA,
        keepQAt: steps,
        keepTrajectories: true,
        onProbeDone: onProgress && ((done) => onProgress('lyapunov', done)),
      });
  const trajs = L.trajectories!;

  const lnR = new Float64Array(B * T * k);
  const spectrum: number[][] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) for (let a = 0; a < k; a++) lnR[(b * T + t) * k + a] = L.lnR[(b * T + t) * kA + a];
    spectrum.push(Array.from(L.spectrum.subarray(b * kA, b * kA + k)));
  }

  let saturated = 0;
  for (const tr of trajs) {
    for (let t = 1; t <= T; t++) for (let i = 0; i < N; i++) if (Math.abs(tr.states[t * S + i]) > SATURATION_LEVEL) saturated++;
  }

  let qrGradRelErr: number | undefined;
  if (qrCheck) {
    qrGradRelErr = NaN;
    if (S <= 128 && T * S * S <= 4e6) {
      const traj = probeTrajectory(cell, probe, 0);
      const run = qrIteration(cell, probe.inputs, 0, traj, { k: S, keepAllQ: true, keepAllR: true });
      const g = bpttSample(cell, probe.inputs, 0, traj, probe.labels[0], { wantDeltas: true });
      const dq = qrFormDeltas(run, g.deltas!.subarray(T * S, (T + 1) * S));
      qrGradRelErr = relativeDifference(gradsFromDeltas(cell, probe.inputs, 0, traj, dq).weight_hh, g.cell.weight_hh);
    }
  }

  // Every cell: gated cells align Q in R^N with the right singular vectors of the [G*N][N]
  // gradient (alignment.ts, method.md §4); an LSTM's h-block basis may hold fewer than kA vectors.
  const alignment: ProbeStepAlignment[][] = [];
  for (let b = 0; b < B; b++) {
    alignment.push(
      probeStepAlignments(cell, trajs[b], probe.labels[b], steps, L.runs[b].qAt!, kA, undefined, {
        inputs: probe.inputs,
        xBase: b * T * cell.inputSize,
      }),
    );
    onProgress?.('alignment', b + 1);
  }
  // CLV control (method.md §9): the first kc CLVs of each probe (their first columns do not depend
  // on how many are computed), ~kc/kA of the QR pass's cost.
  const kc = Math.min(ANALYSIS_DEFAULTS.alignQVectors, S);
  for (let b = 0; b < B; b++) {
    const res = covariantLyapunovVectors(cellTangentMaps(cell, probe.inputs, b * T * cell.inputSize, trajs[b]), { k: kc });
    const clvs: ProbeClvs = {
      B: 1,
      T,
      S,
      k: kc,
      clv: res.clv,
      q: res.q,
      clvQAngle: new Float64Array(0),
      firstTwoAngle: new Float64Array(0),
    };
    const vsQ = pairedAngles(res.clv, res.q, T + 1, kc, S);
    const vsQMean = new Float64Array(kc);
    for (let t = 0; t <= T; t++) for (let a = 0; a < kc; a++) vsQMean[a] += vsQ[t * kc + a] / (T + 1);
    const clvAngles = { firstTwo: kc >= 2 ? angleBetween(res.clv, T + 1, kc, S) : new Float64Array(T + 1).fill(NaN), vsQMean };
    for (const st of alignment[b]) {
      st.clv = clvHiddenVectors(clvs, 0, st.t, Math.min(kc, N), N);
      st.clvAngles = clvAngles;
    }
  }
  return { lnR, spectrum, saturated, alignment, ...(qrCheck ? { qrGradRelErr } : {}) };
}

/**
 * Computes the dynamics fields of an EpochSnapshot from float64 weights. Shapes: see
 * EpochDynamics. Deterministic given opts.seed.
 */
export function analyzeEpochDynamics(weights: ModelWeights, probe: AnalysisProbe, opts: EpochDynamicsOptions): EpochDynamics {
  const { B, T } = probe;
  const N = weights.hiddenSize;
  const S = weights.arch === 'lstm' ? 2 * N : N;
  const k = Math.max(1, Math.min(opts.k, S));
  const nq = Math.min(ANALYSIS_DEFAULTS.alignQVectors, N);
  const mList = ANALYSIS_DEFAULTS.overlapM.filter((m) => m <= N);
  const kA = trackedQVectors(weights.arch, B, T, S, k, opts.fullQBasisMacs);
  const steps = defaultAlignmentSteps(T, opts.nAlignSteps ?? ANALYSIS_DEFAULTS.alignSteps);
  const d = probeDynamics(weights, probe, k, kA, steps, true, opts.onProgress && ((phase, done) => opts.onProgress!(phase, done, B)));
  const alignment = summarizeAlignment(d.alignment, weights, nq, mList, opts.seed);
  return {
    k,
    lnR: Array.from(d.lnR),
    spectrum: d.spectrum,
    saturation: d.saturated / (B * T * N),
    qrGradRelErr: d.qrGradRelErr!,
    alignment,
  };
}

/**
 * The snapshot's AlignmentSummary for per-probe steps of any cell, or null when a probe's Q basis
 * holds fewer than nq vectors (an LSTM's h-block basis can; the overlaps then use m <= that size).
 */
export function summarizeAlignment(
  per: ProbeStepAlignment[][],
  weights: ModelWeights,
  nq: number,
  mList: number[],
  seed: number,
): AlignmentSummary | null {
  const kq = Math.min(...per.flatMap((p) => p.map((st) => st.kq)));
  return kq >= nq
    ? alignmentSummary(
        per,
        weights,
        weights.hiddenSize,
        kq,
        nq,
        mList.filter((m) => m <= kq),
        seed,
      )
    : null;
}

/**
 * Builds the snapshot's AlignmentSummary (paper statistic, controls, overlaps) from per-probe steps
 * whose Q_t hold kA vectors (the random-Q control draws among them; the last-10 control needs kA = N).
 */
export function alignmentSummary(
  per: ProbeStepAlignment[][],
  weights: ModelWeights,
  N: number,
  kA: number,
  nq: number,
  mList: number[],
  seed: number,
): AlignmentSummary {
  const B = per.length;
  const nSteps = per[0].length;
  const nsv = Math.min(ANALYSIS_DEFAULTS.alignSingularVectors, N);
  // Only the first nsv right and max(m) left vectors of W_hh are read (exact SVD for N <= 128).
  // Gated cells: W_hh is [G*N][N]; its right singular vectors are in R^N like Q's, its left ones
  // (and the gradient's) in the gate space, so every left statistic is NaN there (undefined).
  const GN = GATES[weights.arch] * N;
  const gated = weights.arch !== 'rnn';
  const whh = alignmentSvd(weights.tensors.weight_hh_l0, GN, N, Math.max(nsv, ...mList));
  const first = Array.from({ length: nq }, (_, a) => a);
  // 10 random distinct indices among the kA tracked vectors (seeded), the paper's baseline.
  const rng = createRng(deriveSeed(seed, 'align-random-q'));
  const pool = Array.from({ length: kA }, (_, a) => a);
  for (let i = 0; i < nq; i++) {
    const j = i + rng.int(kA - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const randomIdx = pool.slice(0, nq).sort((a, b) => a - b);
  // The last nq Q vectors (the most contracting directions), when the whole basis was tracked.
  const lastIdx = kA === N && N >= 2 * nq ? Array.from({ length: nq }, (_, a) => N - nq + a) : null;
  const buf = new Float64Array(nq * nsv);
  const statAt = (qOf: (b: number) => Float64Array, idx: number[], W: (b: number) => Float64Array): number => {
    const all: number[] = [];
    for (let b = 0; b < B; b++) {
      cosineMatrix(qOf(b), idx, W(b), nsv, N, buf);
      for (const v of buf) all.push(v);
    }
    return std(all);
  };
  const mean = (x: number[]) => x.reduce((a, v) => a + v, 0) / x.length;
  const spread = (x: number[]) => (x.length < 2 ? 0 : std(x));
  const paperStd: number[] = [];
  const paperStdRandomQ: number[] = [];
  const paperStdLastQ: number[] = [];
  const paperStdMismatched: number[] = [];
  const paperStdWhh: number[] = [];
  const overlapLeft: number[][] = [];
  const overlapRight: number[][] = [];
  const overlapLeftStd: number[][] = [];
  const overlapRightStd: number[][] = [];
  const overlapLeftMismatched: number[][] = [];
  const overlapLeftWhh: number[][] = [];
  const effectiveRank: number[] = [];
  for (let s = 0; s < nSteps; s++) {
    const q = (b: number) => per[b][s].q;
    const qOther = (b: number) => per[(b + 1) % B][s].q;
    const V = (b: number) => per[b][s].svd.V;
    paperStd.push(statAt(q, first, V));
    paperStdRandomQ.push(statAt(q, randomIdx, V));
    if (lastIdx) paperStdLastQ.push(statAt(q, lastIdx, V));
    paperStdMismatched.push(statAt(qOther, first, V));
    paperStdWhh.push(statAt(q, first, () => whh.V));
    const ovL = mList.map((m) => per.map((p) => (gated ? NaN : subspaceOverlap(p[s].svd.U, p[s].q, N, m))));
    const ovR = mList.map((m) => per.map((p) => subspaceOverlap(p[s].svd.V, p[s].q, N, m)));
    overlapLeft.push(ovL.map(mean));
    overlapRight.push(ovR.map(mean));
    overlapLeftStd.push(ovL.map(spread));
    overlapRightStd.push(ovR.map(spread));
    overlapLeftMismatched.push(
      mList.map((m) => (gated ? NaN : mean(per.map((p, b) => subspaceOverlap(p[s].svd.U, per[(b + 1) % B][s].q, N, m))))),
    );
    overlapLeftWhh.push(mList.map((m) => (gated ? NaN : mean(per.map((p) => subspaceOverlap(whh.U, p[s].q, N, m))))));
    effectiveRank.push(mean(per.map((p) => participationRatio(p[s].svd.s))));
  }
  // |cos| matrix of every probe at the last step (the panel shows the selected probe's); probe 0's
  // is also kept as cosMatrix for older readers.
  const cosMatrices = per.map((p) => {
    cosineMatrix(p[nSteps - 1].q, first, p[nSteps - 1].svd.V, nsv, N, buf);
    return first.map((a) => Array.from(buf.subarray(a * nsv, (a + 1) * nsv), Math.abs));
  });
  const cosMatrix = cosMatrices[0];
  // CLV control (method.md §9), when every probe step carries its CLVs.
  const withClv = per.every((p) => p.every((st) => st.clv && st.clvAngles));
  const nc = withClv ? Math.min(nq, ...per.flatMap((p) => p.map((st) => st.clv!.length / N))) : 0;
  const clvFields =
    withClv && nc === nq
      ? {
          paperStdClv: per[0].map((_, s) =>
            statAt(
              (b) => per[b][s].clv!,
              first,
              (b) => per[b][s].svd.V,
            ),
          ),
          clvFirstTwoAngle: per.map((p) => Array.from(p[0].clvAngles!.firstTwo)),
          clvQAngle: per.map((p) => Array.from(p[0].clvAngles!.vsQMean)),
        }
      : {};
  return {
    ...clvFields,
    steps: per[0].map((p) => p.t),
    paperStd,
    paperStdRandomQ,
    randomQPool: kA,
    ...(lastIdx ? { paperStdLastQ } : {}),
    paperStdMismatched,
    paperStdWhh,
    nullCosStd: 1 / Math.sqrt(N),
    m: mList,
    overlapLeft,
    overlapRight,
    overlapLeftStd,
    overlapRightStd,
    overlapLeftMismatched,
    overlapLeftWhh,
    overlapNull: mList.map((m) => m / N),
    cosMatrix,
    cosMatrices,
    effectiveRank,
  };
}
