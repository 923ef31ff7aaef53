/**
 * Gradient-SVD alignment (method.md §4). Per probe and step t: G_t = dL_t/dW_hh (prefix loss,
 * readout after step t), G_t = U S V^T (signs: svd.ts), and the forward Lyapunov basis Q_t:
 *  - cos_right[a][j] = <q_a(t), v_j>, cos_left[a][j] = <q_a(t), u_j> (a < nq, j < nsv);
 *    the paper's statistic is the sample std (ddof 1) of cos_right over probes and pairs, per step;
 *  - overlap_m = ||A_m^T Q_t[:, :m]||_F^2 / m (A_m = top-m V or U), null m/N.
 *
 * Gated cells (method.md §4, "Gated cells"): G_t = dL_t/dW_hh is [G*N][N] (the gates' rows
 * stacked), so its RIGHT singular vectors live in R^N, the space W_hh reads (h_{t-1}). GRU: Q_t is
 * in R^N already. LSTM: the state is (h, c) in R^2N; Q_t's vectors are replaced by the
 * Gram-Schmidt orthonormalisation, in order, of their h-blocks (hiddenBlockBasis). The left
 * singular vectors live in the gate space R^{G*N}, where Q has no meaning: left statistics are
 * defined for the rnn only.
 */
import { ANALYSIS_DEFAULTS } from '../analysis/analysisDefaults';
import type { Cell } from './cells';
import { bpttSample, readoutGradient } from './gradients';
import { GATES } from '../formats/model';
import { getAnalysisKernels } from '../kernels';
import type { Trajectory } from './trajectory';
import { participationRatio, subspaceOverlap, svdOfOuterSum, type Svd } from '../linalg/svd';
import { alignmentSvd } from '../linalg/topSvd';
import { std } from '../stats/descriptive';

/** What one probe contributes at each analysed step. */
export interface ProbeStepAlignment {
  /** 1-based step. */
  t: number;
  /** SVD of dL_t/dW_hh (vector-major U, V). */
  svd: Svd;
  /** Q_t, vector-major [kq][N] (at least max(nq, m) vectors; LSTM: hiddenBlockBasis of Q_t). */
  q: Float64Array;
  kq: number;
  /**
   * The first CLVs at t as unit vectors in R^N, vector-major [kc][N] (clvAnalysis.ts
   * clvHiddenVectors), when computed: the CLV control of the paper statistic (method.md §9).
   */
  clv?: Float64Array;
  /** The probe's CLV angles over its whole sequence (the same object on every step of a probe), when computed. */
  clvAngles?: { firstTwo: Float64Array; vsQMean: Float64Array };
}

/**
 * SVDs of the prefix-loss gradients dL_t/dW_hh of one probe sequence at the given 1-based steps,
 * paired with Q_t (qAt: step -> vector-major Q_t with kq vectors). Each SVD holds at least
 * minVectors singular vectors (default 6 = nsv + 1), completed with zero-singular-value directions
 * when the gradient's rank (<= t) is lower, and all singular values (participation ratio). Matrices
 * larger than FAST_SVD_MIN_SIZE (128) hold exactly minVectors vectors (topSvd.ts: randomized
 * subspace iteration to residual 1e-12 s_1); smaller ones (every fixture) the exact full SVD.
 * The rnn's gradients of all steps come from one backward sweep (prefixPreactGrads). Gated cells
 * (x: the probe's inputs, needed by their backward) take gatedPrefixWhhGrads, the [G*N][N]
 * gradient's SVD, and Q_t as in R^N (hiddenBlockBasis for the LSTM's (h, c) state).
 */
export function probeStepAlignments(
  cell: Cell,
  traj: Trajectory,
  label: number,
  steps: number[],
  qAt: Map<number, Float64Array>,
  kq: number,
  minVectors = 6,
  x?: { inputs: Float64Array; xBase: number },
): ProbeStepAlignment[] {
  const N = cell.hiddenSize;
  const S = traj.S;
  if (cell.arch !== 'rnn') {
    if (!x) throw new Error('alignment of a gated cell needs the probe inputs');
    const GN = GATES[cell.arch] * N;
    const grads = gatedPrefixWhhGrads(cell, x.inputs, x.xBase, traj, label, steps);
    return steps.map((t) => {
      const qS = qAt.get(t);
      if (!qS) throw new Error(`alignment: Q_${t} was not kept`);
      const h = S === N ? { q: qS, kq } : hiddenBlockBasis(qS, kq, N, S);
      return { t, svd: alignmentSvd(grads.get(t)!, GN, N, minVectors), q: h.q, kq: h.kq };
    });
  }
  const preact = prefixPreactGrads(cell, traj, label, steps);
  return steps.map((t) => {
    const q = qAt.get(t);
    if (!q) throw new Error(`alignment: Q_${t} was not kept`);
    // dL_t/dW_hh = sum_{s<=t} da_s h_{s-1}^T; A_t holds da_s in row t - s.
    const A = preact.get(t)!;
    if (t < N) {
      // Rank <= t: the SVD comes from t x t factors (much cheaper than an N x N SVD at early steps).
      // Factors in step order (row s - 1).
      const Af = new Float64Array(t * N);
      const Hf = new Float64Array(t * N);
      for (let s = 1; s <= t; s++) {
        Af.set(A.subarray((t - s) * N, (t - s + 1) * N), (s - 1) * N);
        Hf.set(traj.states.subarray((s - 1) * S, (s - 1) * S + N), (s - 1) * N);
      }
      return { t, svd: svdOfOuterSum(Af, Hf, N, t, minVectors, (K, tt) => alignmentSvd(K, tt, tt, minVectors)), q, kq };
    }
    // Summed with s descending, as BPTT accumulates it.
    const H = new Float64Array(t * N);
    for (let c = 0; c < t; c++) H.set(traj.states.subarray((t - c - 1) * S, (t - c - 1) * S + N), c * N);
    return { t, svd: alignmentSvd(outerSum(A, H, N, t), N, N, minVectors), q, kq };
  });
}

/**
 * Prefix-loss gradients of a gated cell: t -> dL_t/dW_hh, [G*N][N] row-major, for every t in steps
 * (L_t: cross-entropy of the readout after step t; rows stacked by gate in PyTorch order). One
 * exact BPTT (gradients.ts bpttSample with tLoss = t) per step. inputs: the sequence [T][D] at xBase.
 */
export function gatedPrefixWhhGrads(
  cell: Cell,
  inputs: Float64Array,
  xBase: number,
  traj: Trajectory,
  label: number,
  steps: number[],
): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  for (const t of new Set(steps)) out.set(t, bpttSample(cell, inputs, xBase, traj, label, { tLoss: t }).cell.weight_hh);
  return out;
}

/**
 * The h-blocks of the LSTM's Q vectors as an orthonormal basis of R^N: vectors q_a in R^S
 * (vector-major [kq][S], h-block first), the first N entries of each orthonormalised in order by
 * modified Gram-Schmidt (twice, for float64 orthogonality), so span(first a outputs) = span of
 * the first a h-blocks: the nested subspaces the alignment statistics compare stay nested. At
 * most N vectors come out (R^N holds no more); a block that is (numerically) dependent on the
 * earlier ones (residual < 1e-10 of its norm) is skipped. Returns [kOut][N].
 */
export function hiddenBlockBasis(q: Float64Array, kq: number, N: number, S: number): { q: Float64Array; kq: number } {
  const out = new Float64Array(Math.min(kq, N) * N);
  let k = 0;
  const v = new Float64Array(N);
  for (let a = 0; a < kq && k < N; a++) {
    let n0 = 0;
    for (let i = 0; i < N; i++) {
      v[i] = q[a * S + i];
      n0 += v[i] * v[i];
    }
    if (n0 === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < k; b++) {
        let d = 0;
        for (let i = 0; i < N; i++) d += out[b * N + i] * v[i];
        for (let i = 0; i < N; i++) v[i] -= d * out[b * N + i];
      }
    }
    let n1 = 0;
    for (let i = 0; i < N; i++) n1 += v[i] * v[i];
    if (n1 <= 1e-20 * n0) continue;
    const inv = 1 / Math.sqrt(n1);
    for (let i = 0; i < N; i++) out[k * N + i] = v[i] * inv;
    k++;
  }
  return { q: out.subarray(0, k * N), kq: k };
}

/**
 * G = sum_c a_c b_c^T ([N][N] row-major) for t vectors a_c, b_c of length N (vector-major [t][N]),
 * summed in c order, on the current AnalysisKernels: G[i][j] = (B^T-matrix times the vector a[:, i])_j.
 */
function outerSum(A: Float64Array, Bv: Float64Array, N: number, t: number): Float64Array {
  const Bt = new Float64Array(N * t); // [N][t]: row j = (b_0[j], ..., b_{t-1}[j])
  const At = new Float64Array(N * t); // vector i = (a_0[i], ..., a_{t-1}[i])
  for (let c = 0; c < t; c++) {
    for (let i = 0; i < N; i++) {
      Bt[i * t + c] = Bv[c * N + i];
      At[i * t + c] = A[c * N + i];
    }
  }
  const G = new Float64Array(N * N);
  getAnalysisKernels().matrix(Bt, N, t).timesVectors(At, N, G, null);
  return G;
}

/**
 * Pre-activation gradients of the prefix losses of a vanilla tanh RNN (L_t: cross-entropy of the
 * readout after step t) for every t in steps: t -> A_t, [t][N] vector-major with row c = t - s
 * holding da_s = (1 - h_s^2) * dL_t/dh_s for s = t..1. All prefix losses travel back together:
 * one product da_{s-1} = diag(1 - h_{s-1}^2) W_hh^T [da_s ...] per step on the current AnalysisKernels,
 * the same sums in the same order as BPTT (gradients.ts), so the numbers equal bpttSample's.
 */
export function prefixPreactGrads(cell: Cell, traj: Trajectory, label: number, steps: number[]): Map<number, Float64Array> {
  const N = cell.hiddenSize;
  const S = traj.S;
  const C = cell.numClasses;
  const ts = [...new Set(steps)].sort((a, b) => b - a);
  const out = new Map<number, Float64Array>();
  const logits = new Float64Array(C);
  const dz = new Float64Array(C);
  const g = new Float64Array(S);
  for (const t of ts) {
    const A = new Float64Array(t * N);
    readoutGradient(cell, traj, t, label, logits, dz, g);
    for (let i = 0; i < N; i++) {
      const h = traj.states[t * S + i];
      A[i] = g[i] * (1 - h * h);
    }
    out.set(t, A);
  }
  const Whh = cell.weights.tensors.weight_hh_l0;
  const WhhT = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) WhhT[j * N + i] = Whh[i * N + j];
  const WT = getAnalysisKernels().matrix(WhhT, N, N);
  const V = new Float64Array(ts.length * N);
  const next = new Float64Array(ts.length * N);
  const scale = new Float64Array(N);
  for (let s = ts[0]; s >= 2; s--) {
    // Prefix losses with t >= s are active; their da_s sits in row t - s.
    let k = 0;
    while (k < ts.length && ts[k] >= s) k++;
    for (let a = 0; a < k; a++) V.set(out.get(ts[a])!.subarray((ts[a] - s) * N, (ts[a] - s + 1) * N), a * N);
    for (let i = 0; i < N; i++) {
      const h = traj.states[(s - 1) * S + i];
      scale[i] = 1 - h * h;
    }
    WT.timesVectors(V, k, next, scale);
    for (let a = 0; a < k; a++) out.get(ts[a])!.set(next.subarray(a * N, (a + 1) * N), (ts[a] - s + 1) * N);
  }
  return out;
}

/**
 * cos[a][j] = <q_a, w_j> for a < nq, j < nsv: Q (vector-major, length N vectors) against the
 * first nsv vectors of W (vector-major); written to out at off ([nq][nsv]).
 */
export function cosineMatrix(
  Q: Float64Array,
  qIdx: ArrayLike<number>,
  W: Float64Array,
  nsv: number,
  N: number,
  out: Float64Array,
  off = 0,
): void {
  for (let ai = 0; ai < qIdx.length; ai++) {
    const a = qIdx[ai];
    for (let j = 0; j < nsv; j++) {
      let c = 0;
      for (let i = 0; i < N; i++) c += Q[a * N + i] * W[j * N + i];
      out[off + ai * nsv + j] = c;
    }
  }
}

/** Fixture-layout alignment block (formats.md `alignment`), all nested number arrays. */
export interface AlignmentBlock {
  steps: number[];
  nq: number;
  nsv: number;
  prefix_singular_values: number[][][];
  cos_right: number[][][][];
  cos_left: number[][][][];
  std_per_step: number[];
  summary_std: number;
  std_per_step_left: number[];
  summary_std_left: number;
  rms_per_sample: number[];
  null_cos_std: number;
  overlap: { m: number[]; right: number[][][]; left: number[][][]; null: number[]; definition: string };
}

/**
 * Builds the fixture-layout alignment block from per-probe step alignments ([B][steps]).
 * prefix_singular_values keeps nsv + 1 values (to judge whether v_nsv is well separated).
 * gated: the left singular vectors live in the gate space R^{G*N}, where Q has no meaning, so every
 * left entry (cos_left, its std, overlap.left) is NaN (method.md §4, "Gated cells").
 */
export function alignmentBlock(
  per: ProbeStepAlignment[][],
  N: number,
  nq: number,
  nsv: number,
  m: number[],
  gated = false,
): AlignmentBlock {
  const B = per.length;
  const steps = per[0].map((s) => s.t);
  const qIdx = Array.from({ length: nq }, (_, a) => a);
  const buf = new Float64Array(nq * nsv);
  const toRows = (): number[][] => Array.from({ length: nq }, (_, a) => Array.from(buf.subarray(a * nsv, (a + 1) * nsv)));
  const cosR: number[][][][] = [];
  const cosL: number[][][][] = [];
  const psv: number[][][] = [];
  const ovR: number[][][] = [];
  const ovL: number[][][] = [];
  for (let b = 0; b < B; b++) {
    cosR.push([]);
    cosL.push([]);
    psv.push([]);
    ovR.push([]);
    ovL.push([]);
    for (const st of per[b]) {
      cosineMatrix(st.q, qIdx, st.svd.V, nsv, N, buf);
      cosR[b].push(toRows());
      if (gated) buf.fill(NaN);
      else cosineMatrix(st.q, qIdx, st.svd.U, nsv, N, buf);
      cosL[b].push(toRows());
      psv[b].push(Array.from(st.svd.s.subarray(0, Math.min(nsv + 1, st.svd.r))));
      ovR[b].push(m.map((mm) => subspaceOverlap(st.svd.V, st.q, N, mm)));
      ovL[b].push(m.map((mm) => (gated ? NaN : subspaceOverlap(st.svd.U, st.q, N, mm))));
    }
  }
  const flatten = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flatten) : [v as number]);
  const perStep = (c: number[][][][]) => steps.map((_, s) => std(c.flatMap((pb) => flatten(pb[s]))));
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  const stdR = perStep(cosR);
  const stdL = perStep(cosL);
  const rms = cosR.map((pb) => {
    const x = flatten(pb);
    return Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
  });
  return {
    steps,
    nq,
    nsv,
    prefix_singular_values: psv,
    cos_right: cosR,
    cos_left: cosL,
    std_per_step: stdR,
    summary_std: mean(stdR),
    std_per_step_left: stdL,
    summary_std_left: mean(stdL),
    rms_per_sample: rms,
    null_cos_std: 1 / Math.sqrt(N),
    overlap: {
      m: [...m],
      right: ovR,
      left: ovL,
      null: m.map((mm) => mm / N),
      definition: '||A_m^T Q_t[:, :m]||_F^2 / m = mean cos^2 of principal angles; A_m = top-m right (V) or left (U) singular vectors',
    },
  };
}

/** Effective rank (participation ratio) of a gradient's singular values. */
export const effectiveRank = (s: Svd): number => participationRatio(s.s);

/** About five evenly spaced 1-based steps ending at T (deduplicated, ascending). */
export function defaultAlignmentSteps(T: number, count: number = ANALYSIS_DEFAULTS.alignSteps): number[] {
  const out = new Set<number>();
  for (let i = 1; i <= count; i++) out.add(Math.max(1, Math.round((T * i) / count)));
  return [...out].sort((a, b) => a - b);
}
