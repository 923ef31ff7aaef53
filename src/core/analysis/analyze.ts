/**
 * analyzeModel: the whole float64 analysis of a model on a probe set, as one `ftle-lab.analysis/v1`
 * object whose keys, shapes and indexing match the reference fixtures (formats.md). Used by the
 * CLI (`ftle-lab analyze`) and by tests. The app's per-epoch analysis (epochSnapshot.ts) is the
 * lighter subset a snapshot needs; both run the flip test through runFlipAnalysis with the same
 * ANALYSIS_DEFAULTS (flipAnalysis.ts) and the alignment controls through alignmentSummary.
 */
import { createCell } from '../dynamics/cells';
import { probeLyapunov, ftleAt, type ProbeLyapunov } from '../dynamics/lyapunov';
import {
  bpttSample,
  cosine,
  gradsFromDeltas,
  projectDeltas,
  qrFormDeltas,
  readoutGradient,
  relativeDifference,
  rnnRecurrentGradient,
  type SampleGradients,
} from '../dynamics/gradients';
import {
  alignmentBlock,
  defaultAlignmentSteps,
  probeStepAlignments,
  type AlignmentBlock,
  type ProbeStepAlignment,
} from '../dynamics/alignment';
import { alignmentSummary, probeDynamics, summarizeAlignment, trackedQVectors } from './epochAnalysis';
import { clvAlignmentControl, probeClvs } from '../dynamics/clvAnalysis';
import type { AlignmentSummary } from '../snapshot';
import { vectorsToRowMajor } from '../linalg/qr';
import { singularValues } from '../linalg/topSvd';
import { ANALYSIS_FORMAT, nest } from '../formats/analysis';
import { GATES, type ModelWeights } from '../formats/model';
import { checkProbeForModel, type Probe } from '../formats/probe';
import { ANALYSIS_DEFAULTS } from './analysisDefaults';
import { flipTestOn, runFlipAnalysis } from './flipAnalysis';
import type { FlipEvaluator, FlipTestResult } from '../sensitivity';

export interface FlipOptions {
  n?: number;
  kList?: number[];
  R?: number;
  seed?: number;
  /** [K][R][k] 0-based steps; overrides kList/R draws (a probe file's flip.rand_sets). */
  randSets?: number[][][];
}

export interface AnalyzeOptions {
  /** Q vectors tracked (default S: the full spectrum). */
  k?: number;
  /** 'e' (default, ln per step) or '2' (bits per step) for ftle / ftle_mid. */
  logBase?: 'e' | '2';
  /** Run the flip test (options, or true for defaults / the probe file's flip block). */
  flip?: boolean | FlipOptions;
  /** 1-based alignment steps; default ~5 evenly spaced steps ending at T. */
  alignSteps?: number[];
  /**
   * Covariant Lyapunov vectors (clv.ts, method.md §9): adds clv [B][T+1][S][k], clv_q_angle
   * [B][T+1][k], clv_first_two_angle [B][T+1] (radians) and alignment.clv_control.
   */
  clv?: boolean;
  /** Seed of the alignment's random-Q-index control (default 0). */
  seed?: number;
  /**
   * Largest T*S*S (floats) for which the k = S Q/R-vs-BPTT check stores all Q_t and R_t
   * (default 4e6, ~64 MB); above it `checks` holds null values.
   */
  maxCheckFloats?: number;
  /**
   * Evaluator of the flip jobs (e.g. the CLI's worker threads, src/cli/parallelFlip.ts); default:
   * the cached float64 evaluator on this thread. Any evaluator of the same probes gives the same numbers.
   */
  flipEvaluator?: FlipEvaluator;
}

const REDUCED_RANK_DEFINITION =
  'delta_t^(q) = Q_t[:, :q] Q_t[:, :q]^T delta_t; dW_hh^(q) = sum_t diag(1-h_t^2) delta_t^(q) h_{t-1}^T; cosine (Frobenius) to the full dL/dW_hh, per sample [B][len(q)]';

/**
 * Analyses `weights` on `probe` (checked against each other; throws FormatError on a mismatch).
 * Returns the JSON-ready `ftle-lab.analysis/v1` object: k, log_base, logits [B][C], loss [B],
 * loss_t [B][T], rvals [B][T][k], ftle [B][k], ftle_mid {t = floor(T/2), values [B][k]},
 * q_final [B][S][k], h_T [B][N] (+ c_T), grad_weight_hh [B][G*N][N], singular_values [B][N],
 * grads {tensor: [B][...]}, jacobian_first/last [B][S][S], checks, reduced_rank and alignment
 * (rnn), flip (when requested). Same object as mergeAnalysisParts of analyzeModelPart over any
 * split of the probes (the CLI's --workers runs the parts on threads).
 */
export function analyzeModel(weights: ModelWeights, probe: Probe, opts: AnalyzeOptions = {}): Record<string, unknown> {
  checkAnalyzeInput(weights, probe, opts);
  return mergeAnalysisParts(weights, probe, [analyzeModelPart(weights, probe, 0, probe.B, opts)], opts);
}

/** Checks the model against the probe set and the options (k, alignment steps); throws before any work. */
export function checkAnalyzeInput(weights: ModelWeights, probe: Probe, opts: AnalyzeOptions = {}): void {
  checkProbeForModel(probe, weights);
  const S = weights.arch === 'lstm' ? 2 * weights.hiddenSize : weights.hiddenSize;
  const k = opts.k ?? S;
  if (!(Number.isInteger(k) && k >= 1 && k <= S)) throw new RangeError(`k = ${k} must be an integer in 1..${S}`);
  if (weights.arch === 'rnn')
    for (const t of opts.alignSteps ?? defaultAlignmentSteps(probe.T))
      if (!(Number.isInteger(t) && t >= 1 && t <= probe.T)) throw new RangeError(`alignment step ${t} is not in 1..${probe.T}`);
}

/**
 * The per-probe share of analyzeModel for probes b0..b1-1 (nb = b1 - b0): everything that reads
 * one probe only (QR passes, BPTT, Q/R checks, Jacobians, alignment SVDs). Plain data, so a
 * worker thread can compute it and post it back.
 */
export interface AnalysisPart {
  b0: number;
  b1: number;
  /** The analysis object's fields up to `checks` (per-probe arrays hold these nb probes). */
  fields: Record<string, unknown>;
  /** Alignment SVDs and Q_t per probe and step [nb][steps] (rnn), else null. */
  alignment: ProbeStepAlignment[][] | null;
  /** Q vectors of the alignment's QR pass (its Q_t). */
  alignKq: number;
  /** ln r of the main QR pass [nb][T][k]. */
  lnR: Float64Array;
  /** dL/dx_t of the last-step loss [nb][T][D]. */
  inputGradients: Float64Array;
}

/** Fields of the analysis object that hold one entry per probe (dotted: nested), concatenated by mergeAnalysisParts. */
const PER_PROBE_FIELDS = [
  'logits',
  'loss',
  'rvals',
  'ftle',
  'grad_weight_hh',
  'singular_values',
  'h_T',
  'c_T',
  'loss_t',
  'grads.weight_ih_l0',
  'grads.bias_ih_l0',
  'grads.bias_hh_l0',
  'grads.fc.weight',
  'grads.fc.bias',
  'q_final',
  'ftle_mid.values',
  'jacobian_first',
  'jacobian_last',
  'reduced_rank.cos_to_full_grad_weight_hh',
] as const;

/** Computes analyzeModel's per-probe share for probes b0..b1-1 of `probe` (checked by checkAnalyzeInput). */
export function analyzeModelPart(weights: ModelWeights, fullProbe: Probe, b0: number, b1: number, opts: AnalyzeOptions = {}): AnalysisPart {
  const cell = createCell(weights);
  const { T, D } = fullProbe;
  const B = b1 - b0;
  const S = cell.stateSize;
  const N = cell.hiddenSize;
  const C = cell.numClasses;
  const G = GATES[weights.arch];
  const probe: Probe = {
    B,
    T,
    D,
    inputs: fullProbe.inputs.subarray(b0 * T * D, b1 * T * D),
    labels: fullProbe.labels.subarray(b0, b1),
    h0: fullProbe.h0?.subarray(b0 * N, b1 * N),
    c0: fullProbe.c0?.subarray(b0 * N, b1 * N),
  };
  const k = opts.k ?? S;
  const logScale = opts.logBase === '2' ? 1 / Math.LN2 : 1;
  const tMid = Math.max(1, Math.floor(T / 2));

  const main = probeLyapunov(cell, probe, { k, keepTrajectories: true });
  const trajs = main.trajectories!;
  const xBase = (b: number) => b * T * D;

  // Full-basis run for the Q/R identity, reduced-rank gradients and alignment (first columns of Q
  // do not depend on how many are tracked). Stored Q_t / R_t for all t are T*S*S floats each.
  const canCheck = T * S * S <= (opts.maxCheckFloats ?? 4e6);
  const isRnn = weights.arch === 'rnn';
  const reducedQ = isRnn ? [1, 2, 4, 8, 16].filter((q) => q <= Math.min(S, 16)) : [];
  const nq = Math.min(ANALYSIS_DEFAULTS.alignQVectors, N);
  const alignM = ANALYSIS_DEFAULTS.overlapM.filter((m) => m <= N);
  const kAux = canCheck ? S : Math.min(S, Math.max(16, nq, ...alignM));
  const needAux = canCheck || isRnn;
  const aux: ProbeLyapunov | null = needAux ? probeLyapunov(cell, probe, { k: kAux, keepAllQ: true, keepAllR: canCheck }) : null;

  const grads: SampleGradients[] = [];
  const ltLogits = new Float64Array(C);
  const ltDz = new Float64Array(C);
  const ltG = new Float64Array(S);
  const lossT: number[][] = [];
  const checkRel: Record<string, number> = {};
  const reduced: number[][] = [];
  for (let b = 0; b < B; b++) {
    const g = bpttSample(cell, probe.inputs, xBase(b), trajs[b], probe.labels[b], { wantDeltas: true, wantDx: true });
    grads.push(g);
    // L_t needs only the readout at step t: the same readoutGradient call bpttSample starts with
    // (same numbers), without the t-step backward pass each (that was O(T^2 N^2) per probe).
    const lt: number[] = [];
    for (let t = 1; t <= T; t++) lt.push(readoutGradient(cell, trajs[b], t, probe.labels[b], ltLogits, ltDz, ltG));
    lossT.push(lt);
    if (canCheck && aux) {
      const run = aux.runs[b];
      const dq = qrFormDeltas(run, g.deltas!.subarray(T * S, (T + 1) * S));
      const upd = (key: string, v: number) => (checkRel[key] = Math.max(checkRel[key] ?? 0, v));
      if (isRnn) {
        const gq = gradsFromDeltas(cell, probe.inputs, xBase(b), trajs[b], dq);
        upd('qr_vs_autograd_rel_weight_ih_l0', relativeDifference(gq.weight_ih, g.cell.weight_ih));
        upd('qr_vs_autograd_rel_weight_hh_l0', relativeDifference(gq.weight_hh, g.cell.weight_hh));
        upd('qr_vs_autograd_rel_bias_ih_l0', relativeDifference(gq.bias_ih, g.cell.bias_ih));
        upd('qr_vs_autograd_rel_bias_hh_l0', relativeDifference(gq.bias_hh, g.cell.bias_hh));
        // The readout gradients depend on h_T only: identical in both forms by construction.
        upd('qr_vs_autograd_rel_fc.weight', 0);
        upd('qr_vs_autograd_rel_fc.bias', 0);
      } else {
        upd('qr_delta_vs_autograd_rel', relativeDifference(dq.subarray(S), g.deltas!.subarray(S)));
      }
    }
    if (isRnn && aux) {
      // Only weight_hh enters the cosine: one kernel product per q (rnnRecurrentGradient).
      reduced.push(reducedQ.map((q) => cosine(rnnRecurrentGradient(trajs[b], projectDeltas(aux.runs[b], g.deltas!, q)), g.cell.weight_hh)));
    }
  }
  if (!canCheck) {
    for (const key of isRnn
      ? ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'fc.weight', 'fc.bias'].map((n) => `qr_vs_autograd_rel_${n}`)
      : ['qr_delta_vs_autograd_rel'])
      checkRel[key] = NaN;
  }

  const perProbe = <X>(f: (b: number) => X): X[] => Array.from({ length: B }, (_, b) => f(b));
  const J = new Float64Array(S * S);
  const jac = (b: number, t: number) => {
    cell.jacobian(probe.inputs, xBase(b) + (t - 1) * D, trajs[b].states, (t - 1) * S, J);
    return nest(J, [S, S]);
  };

  const out: Record<string, unknown> = {
    format: ANALYSIS_FORMAT,
    k,
    log_base: opts.logBase ?? 'e',
    logits: perProbe((b) => Array.from(grads[b].logits)),
    loss: perProbe((b) => grads[b].loss),
    rvals: nest(Array.from(main.lnR, Math.exp), [B, T, k]),
    ftle: nest(
      main.spectrum.map((v) => v * logScale),
      [B, k],
    ),
    grad_weight_hh: perProbe((b) => nest(grads[b].cell.weight_hh, [G * N, N])),
    // Values only (Golub-Kahan without vectors): the full SVD with vectors cost ~2.5 s per probe at N = 512.
    singular_values: perProbe((b) => Array.from(singularValues(grads[b].cell.weight_hh, G * N, N))),
    h_T: perProbe((b) => Array.from(trajs[b].states.subarray(T * S, T * S + N))),
    ...(weights.arch === 'lstm' ? { c_T: perProbe((b) => Array.from(trajs[b].states.subarray(T * S + N, (T + 1) * S))) } : {}),
    loss_t: lossT,
    grads: {
      weight_ih_l0: perProbe((b) => nest(grads[b].cell.weight_ih, [G * N, D])),
      bias_ih_l0: perProbe((b) => Array.from(grads[b].cell.bias_ih)),
      bias_hh_l0: perProbe((b) => Array.from(grads[b].cell.bias_hh)),
      'fc.weight': perProbe((b) => nest(grads[b].fcWeight, [C, N])),
      'fc.bias': perProbe((b) => Array.from(grads[b].fcBias)),
    },
    q_final: perProbe((b) => nest(vectorsToRowMajor(main.runs[b].qFinal, S, k), [S, k])),
    ftle_mid: { t: tMid, values: perProbe((b) => Array.from(ftleAt(main.runs[b].lnR, k, tMid), (v) => v * logScale)) },
    jacobian_first: perProbe((b) => jac(b, 1)),
    jacobian_last: perProbe((b) => jac(b, T)),
  };
  if (isRnn) out.reduced_rank = { q: reducedQ, cos_to_full_grad_weight_hh: reduced, definition: REDUCED_RANK_DEFINITION };
  out.checks = checkRel;

  let alignment: ProbeStepAlignment[][] | null = null;
  if (isRnn && aux) {
    const steps = opts.alignSteps ?? defaultAlignmentSteps(T);
    const kq = aux.k;
    alignment = perProbe((b) => {
      const qAt = new Map<number, Float64Array>();
      for (const t of steps) qAt.set(t, aux.runs[b].qAll!.subarray(t * kq * S, (t + 1) * kq * S));
      return probeStepAlignments(cell, trajs[b], probe.labels[b], steps, qAt, kq);
    });
  }
  const inputGradients = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) inputGradients.set(grads[b].dLdx!, b * T * D);
  return { b0, b1, fields: out, alignment, alignKq: aux?.k ?? 0, lnR: main.lnR, inputGradients };
}

/**
 * Assembles analyzeModel's object from parts covering probes 0..B-1 (any split, any order given):
 * per-probe fields concatenated in probe order, checks as the max over parts (the single pass's
 * running max), then the cross-probe alignment summary and the flip test. `onStage` is told when
 * each of these two stages starts (the CLI times them).
 */
export function mergeAnalysisParts(
  weights: ModelWeights,
  probe: Probe,
  parts: AnalysisPart[],
  opts: AnalyzeOptions & { onStage?: (stage: 'alignment' | 'flip test') => void } = {},
): Record<string, unknown> {
  const { B, T, D } = probe;
  const N = weights.hiddenSize;
  const S = weights.arch === 'lstm' ? 2 * N : N;
  const k = opts.k ?? S;
  const sorted = [...parts].sort((x, y) => x.b0 - y.b0);
  let covered = 0;
  for (const p of sorted) {
    if (p.b0 !== covered) throw new Error(`analysis parts leave probes ${covered}..${p.b0 - 1} out`);
    covered = p.b1;
  }
  if (covered !== B) throw new Error(`analysis parts cover ${covered} of ${B} probes`);
  // Same keys in the same order as the single pass: part 0's fields with per-probe arrays joined.
  const out: Record<string, unknown> = copyFields(sorted[0].fields);
  for (const path of PER_PROBE_FIELDS) {
    const keys = path.startsWith('grads.') ? ['grads', path.slice(6)] : path.split('.');
    const at = (o: Record<string, unknown>) => (keys.length === 1 ? o : (o[keys[0]] as Record<string, unknown> | undefined));
    const holder = at(out);
    const last = keys[keys.length - 1];
    if (!holder || !(last in holder)) continue;
    holder[last] = sorted.flatMap((p) => at(p.fields)![last] as unknown[]);
  }
  const checks: Record<string, number> = { ...(sorted[0].fields.checks as Record<string, number>) };
  for (const p of sorted.slice(1))
    for (const [key, v] of Object.entries(p.fields.checks as Record<string, number>)) checks[key] = Math.max(checks[key], v);
  out.checks = checks;

  opts.onStage?.('alignment');
  const nq = Math.min(ANALYSIS_DEFAULTS.alignQVectors, N);
  const nsv = Math.min(ANALYSIS_DEFAULTS.alignSingularVectors, N);
  const alignM = ANALYSIS_DEFAULTS.overlapM.filter((m) => m <= N);
  const steps = opts.alignSteps ?? defaultAlignmentSteps(T);
  const seed = opts.seed ?? ANALYSIS_DEFAULTS.seed;
  let per = sorted[0].alignment ? sorted.flatMap((p) => p.alignment!) : null;
  let alignment: AlignmentBlock | null = null;
  let controls: Record<string, unknown> | null = null;
  let alignedQ = 0;
  if (weights.arch !== 'rnn') {
    // Gated cells: the app's definition and code path (epochAnalysis.ts probeDynamics and
    // summarizeAlignment; method.md §4 "Gated cells"): Q_t of the app's tracked basis in R^N with
    // the right singular vectors of the [G*N][N] gradient; left statistics are NaN (null in JSON).
    const kA = trackedQVectors(weights.arch, B, T, S, k);
    per = probeDynamics(weights, probe, k, kA, steps, false).alignment;
    const summary = summarizeAlignment(per, weights, nq, alignM, seed);
    if (summary) {
      alignment = alignmentBlock(per, N, nq, nsv, summary.m, true);
      controls = alignmentControls(summary, seed);
      alignedQ = kA;
    } else per = null;
  } else if (per) {
    alignedQ = sorted[0].alignKq;
    alignment = alignmentBlock(per, N, nq, nsv, alignM);
    controls = alignmentControls(alignmentSummary(per, weights, N, alignedQ, nq, alignM, seed), seed);
  }
  out.alignment = alignment
    ? {
        ...alignment,
        controls,
        pairing: `Q_t (forward QR basis after step t, k=${alignedQ}${weights.arch === 'lstm' ? '; h-blocks, orthonormalised in order' : ''}) with the SVD of dL_t/dW_hh, L_t = CE of the readout at step t`,
        sv_sign_convention: 'u_j sign-flipped so that its largest-|.| entry is positive; v_j follows (G = U S V^T)',
      }
    : null;

  if (opts.clv) {
    const c = probeClvs(weights, probe, k);
    const n = T + 1;
    const rowMajor = new Float64Array(B * n * S * k);
    for (let i = 0; i < B * n; i++)
      vectorsToRowMajor(c.clv.subarray(i * k * S, (i + 1) * k * S), S, k, rowMajor.subarray(i * S * k, (i + 1) * S * k));
    out.clv = nest(rowMajor, [B, n, S, k]);
    out.clv_q_angle = nest(c.clvQAngle, [B, n, k]);
    out.clv_first_two_angle = nest(c.firstTwoAngle, [B, n]);
    if (alignment && per && k >= nq) {
      const ctl = clvAlignmentControl(per, c, weights, nq, nsv);
      (out.alignment as Record<string, unknown>).clv_control = {
        std_per_step: ctl.clvStdPerStep,
        summary_std: ctl.clvSummaryStd,
        q_std_per_step: ctl.qStdPerStep,
        q_summary_std: ctl.qSummaryStd,
        definition:
          'std of cos(v_a(t), right singular vector j of dL_t/dW_hh) over probes and pairs (a < nq, j < nsv), CLVs v_a (h-blocks rescaled to unit length for the LSTM) in place of Q; overlaps equal those with Q (span(v_1..v_m) = span(q_1..q_m))',
      };
    }
  }

  if (opts.flip) {
    opts.onStage?.('flip test');
    const lnR = new Float64Array(B * T * k);
    const inputGradients = new Float64Array(B * T * D);
    for (const p of sorted) {
      lnR.set(p.lnR, p.b0 * T * k);
      inputGradients.set(p.inputGradients, p.b0 * T * D);
    }
    out.flip = runFlip(weights, probe, lnR, k, inputGradients, opts.flip === true ? {} : opts.flip, opts.flipEvaluator);
  }
  return out;
}

/** A copy of `o` whose nested plain objects (not arrays) are copied too, so merging never edits a part. */
function copyFields(o: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(o))
    r[key] = v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) ? { ...(v as Record<string, unknown>) } : v;
  return r;
}

/**
 * The alignment's controls in the analysis file (snake_case; per step unless said), the same
 * numbers the app's alignment panel draws: the paper statistic with 10 random Q indices drawn
 * among the first `random_q_pool` Q vectors, with the last 10 (when the whole basis was tracked),
 * with Q of the next probe (b + 1 mod B; equals the paper statistic when B = 1), and with W_hh's
 * own top right singular vectors; left overlaps for those two; the participation ratio.
 */
function alignmentControls(a: AlignmentSummary, seed: number): Record<string, unknown> {
  return {
    seed,
    random_q_pool: a.randomQPool,
    random_q_std_per_step: a.paperStdRandomQ,
    ...(a.paperStdLastQ ? { last_q_std_per_step: a.paperStdLastQ } : {}),
    mismatched_probe_std_per_step: a.paperStdMismatched,
    w_hh_std_per_step: a.paperStdWhh,
    overlap_left_mismatched_probe: a.overlapLeftMismatched,
    overlap_left_w_hh: a.overlapLeftWhh,
    effective_rank_per_step: a.effectiveRank,
    definition:
      'std of cos(q_a, v_j) over probes and pairs (a < 10, j < 5) as summary_std, with other Q vectors or W_hh singular vectors; overlaps [steps][M] as overlap.left, averaged over probes; effective rank = (sum s)^2 / sum s^2 of dL_t/dW_hh, mean over probes',
  };
}

/**
 * Runs the flip test as the app does (runFlipAnalysis, ANALYSIS_DEFAULTS for what is not given)
 * with our ln r and input gradients; a probe file's flip block supplies n, k values and sets.
 */
function runFlip(
  weights: ModelWeights,
  probe: Probe,
  lnR: Float64Array,
  k: number,
  inputGradients: Float64Array,
  f: FlipOptions,
  evaluator?: FlipEvaluator,
): FlipTestResult {
  const spec = probe.flip ?? {};
  const o = {
    n: f.n ?? spec.n,
    kList: f.kList ?? spec.kList,
    draws: f.R,
    seed: f.seed,
    // Explicit k values or draws define a new experiment: the probe file's sets no longer apply.
    randSets: f.randSets ?? (f.kList || f.R ? undefined : spec.randSets),
  };
  if (evaluator) return flipTestOn(probe, lnR, k, evaluator, inputGradients, o);
  return runFlipAnalysis(weights, probe, lnR, k, { ...o, inputGradients }).result;
}
