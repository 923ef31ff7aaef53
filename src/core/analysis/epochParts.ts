/**
 * One epoch's analysis (epochSnapshot.ts analyzeEpoch) cut into pure parts that several workers
 * can run at once, and merges that put them back together BIT-IDENTICALLY to a single pass.
 *
 * Why the cut is exact: everything expensive is per probe. The QR iteration, the saturation
 * count, the alignment's prefix-loss SVDs and dL/dx_t of probe b read probe b only; a flip job's
 * loss reads probe b's cached trajectory only, and the cached evaluator groups jobs per probe
 * (its 8-lane blocks never mix probes), so a call restricted to some probes, in the same order,
 * gives the same numbers. What mixes probes is cheap and runs once, in a fixed order, in a merge:
 * the flip test's random sets and matched draws (one seeded stream over all probes), its
 * statistics and bootstraps, and the alignment summary.
 *
 * Stages (any probe split, any number of workers):
 *   1. dynamicsPart(b0, b1) per probe range            -> DynamicsPart
 *   2. planFlip(parts)      once: merges the dynamics, runs the flip test on a recording evaluator
 *                           to learn which jobs it asks for                  -> FlipPlan
 *   3. flipPart(plan, b0, b1) per probe range: evaluates the plan's jobs of its probes -> FlipPart
 *   4. mergeEpoch(plan, flip parts) once: replays the flip test on the evaluated losses -> EpochAnalysis
 */
import type { ModelWeights } from '../formats/model';
import type { AlignmentSummary, AnalysisPlan, PartialEpochSnapshot } from '../snapshot';
import type { AnalysisPhase, AnalysisProgress, EpochAnalysis, EpochAnalysisOptions } from './types';
import { ANALYSIS_DEFAULTS } from './analysisDefaults';
import {
  summarizeAlignment,
  probeDynamics,
  trackedQVectors,
  type AnalysisProbe,
  type GivenLyapunov,
  type ProbeDynamics,
} from './epochAnalysis';
import { defaultAlignmentSteps, type ProbeStepAlignment } from '../dynamics/alignment';
import { flipTestOn, inputGradientsFor } from './flipAnalysis';
import {
  capKList,
  createRecurrentFlipEvaluator,
  fig4Softmax,
  flipSummaryForSnapshot,
  singlePixelFlipMap,
  type FlipEvaluator,
  type FlipJob,
  type RecurrentFlipEvaluator,
} from '../sensitivity';

/**
 * Default budget: ~10 s of float64 JS on a 2-core laptop-class CPU (~2-3 s with the WASM kernels;
 * kept fixed so the number of random draws never depends on which kernels ran).
 */
export const DEFAULT_ANALYSIS_BUDGET_MACS = 1.2e10;

/** Everything about an epoch's analysis that is fixed before any work: sizes, draws, costs. */
export interface EpochPlan {
  arch: ModelWeights['arch'];
  B: number;
  T: number;
  D: number;
  N: number;
  /** State size (N, or 2N for LSTM). */
  S: number;
  /** Q vectors reported; kA tracked by the QR pass (trackedQVectors for all B probes). */
  k: number;
  kA: number;
  /** s_t(n) averages ln r_1..n. */
  n: number;
  seed: number;
  /** 1-based alignment steps (rnn). */
  alignSteps: number[];
  /** Flip test k values (capped by T), random draws R and matched draws Rm per k, after the budget. */
  kList: number[];
  R: number;
  Rm: number;
  /** Whether the single-step map fits the budget. */
  withSingle: boolean;
  /** Random draws asked for (opts.draws) and whether they are honoured as asked (opts.exactDraws). */
  drawsAsked: number;
  exactDraws: boolean;
  /** The work budget the plan was fitted to (multiply-adds; Infinity = none). */
  budgetMacs: number;
  /** Estimated multiply-adds of each phase (progress weights; see AnalysisProgress). */
  cost: Record<AnalysisPhase, number>;
}

/** Fixes the plan of one epoch's analysis (B probes of T steps, D inputs) from analyzeEpoch's options. */
export function planEpoch(
  weights: ModelWeights,
  B: number,
  T: number,
  D: number,
  opts: Omit<EpochAnalysisOptions, 'onProgress' | 'onDynamics'>,
): EpochPlan {
  const N = weights.hiddenSize;
  const S = weights.arch === 'lstm' ? 2 * N : N;
  const k = Math.max(1, Math.min(opts.k, S));
  const n = Math.max(1, Math.min(opts.n, k));
  const gates = weights.arch === 'rnn' ? 1 : weights.arch === 'gru' ? 3 : 4;
  const stepMacs = gates * N * (N + 1);
  const budget = opts.budgetMacs ?? DEFAULT_ANALYSIS_BUDGET_MACS;
  const kList = capKList([...ANALYSIS_DEFAULTS.kList], T);
  // A random set starts, on average, near T/(k+1): the evaluator replays from there.
  const perDrawMacs = kList.reduce((a, kk) => a + (T - T / (kk + 1)), 0) * B * stepMacs;
  // An explicit draws= is honoured as asked (its matched draws then stay the paper's 10, below).
  const exactDraws = opts.exactDraws === true;
  const R = exactDraws ? opts.draws : Math.max(5, Math.min(opts.draws, Math.floor(budget / Math.max(1, 2 * perDrawMacs))));
  // The budget shrinks the matched baselines' draws in the same proportion (at least 2 each): at
  // N = 512, T = 784 their 2 x 10 draws would otherwise cost four times the 5 random ones.
  const Rm = R < opts.draws ? Math.max(2, Math.round((ANALYSIS_DEFAULTS.matchedDraws * R) / opts.draws)) : ANALYSIS_DEFAULTS.matchedDraws;
  const singleMacs = B * ((T * (T + 1)) / 2) * stepMacs;
  const withSingle = singleMacs <= budget;
  const kA = trackedQVectors(weights.arch, B, T, S, k);
  const alignSteps = defaultAlignmentSteps(T, ANALYSIS_DEFAULTS.alignSteps);
  let alignment = 0;
  if (weights.arch === 'rnn') {
    // Per alignment step: the prefix-loss backward pass (t steps of N^2, plus the t N^2 product
    // forming G_t at t >= N) on the WASM kernels, and a plain-JS SVD (~2 n^3, counted 10x).
    for (const t of defaultAlignmentSteps(T)) {
      const m = Math.min(t, N);
      alignment += B * (t * N * N * (t < N ? 1 : 2) + 10 * 2 * m * m * m);
    }
  } else {
    // Gated: one BPTT of t steps per alignment step (~3 G N (N + D) per step, D ~ N counted) and an
    // SVD of the [G N][N] gradient (counted 10x as above).
    for (const t of defaultAlignmentSteps(T)) alignment += B * (t * 6 * gates * N * N + 10 * 2 * gates * N * N * N);
  }
  const cost: Record<AnalysisPhase, number> = {
    'Lyapunov vectors': B * T * (N * N + S * S * kA + 2 * kA * kA * S),
    alignment,
    'flip test': (R + 2 * Rm) * perDrawMacs,
    'single-pixel map': withSingle ? singleMacs : 0,
  };
  return {
    arch: weights.arch,
    B,
    T,
    D,
    N,
    S,
    k,
    kA,
    n,
    seed: opts.seed,
    alignSteps,
    kList,
    R,
    Rm,
    withSingle,
    drawsAsked: opts.draws,
    exactDraws,
    budgetMacs: budget,
    cost,
  };
}

/**
 * The plan as a snapshot records it (snapshot.ts AnalysisPlan): what ran, the paper's plan at
 * this T (ANALYSIS_DEFAULTS: 50 random draws, 10 matched, the single-pixel map, its k values up
 * to T), and whether the CPU budget cut anything.
 */
export function planRecord(plan: EpochPlan): AnalysisPlan {
  const paper = {
    R: ANALYSIS_DEFAULTS.draws,
    Rm: ANALYSIS_DEFAULTS.matchedDraws,
    single: true,
    kList: capKList([...ANALYSIS_DEFAULTS.kList], plan.T),
  };
  // The budget bound R when it gave fewer draws than asked (an explicit draws= is never cut).
  const drawsCut = !plan.exactDraws && plan.R < plan.drawsAsked;
  const cut = drawsCut || plan.Rm < paper.Rm || !plan.withSingle;
  return {
    R: plan.R,
    Rm: plan.Rm,
    single: plan.withSingle,
    kList: [...plan.kList],
    paper,
    drawsFrom: drawsCut ? 'CPU budget' : plan.exactDraws ? 'draws=' : 'paper',
    cut: cut ? 'CPU budget' : null,
    budgetMacs: Number.isFinite(plan.budgetMacs) ? plan.budgetMacs : null,
    macs: {
      lyapunov: plan.cost['Lyapunov vectors'],
      alignment: plan.cost.alignment,
      flip: plan.cost['flip test'],
      single: plan.cost['single-pixel map'],
    },
  };
}

/** The probes b0..b1-1 of inputs [B*T*D] / labels [B] as their own probe set. */
function subProbe(inputs: Float64Array, labels: ArrayLike<number>, T: number, D: number, b0: number, b1: number): AnalysisProbe {
  return {
    B: b1 - b0,
    T,
    D,
    inputs: inputs.subarray(b0 * T * D, b1 * T * D),
    labels: Int32Array.from(Array.prototype.slice.call(labels, b0, b1) as number[]),
  };
}

/**
 * Told how much of a phase a part has done: `done` is the part's finished share of the WHOLE
 * phase, in [0, 1] (e.g. 1/B per probe), non-decreasing per part and phase.
 */
export type PartProgress = (phase: AnalysisPhase, done: number) => void;

/** Stage 1 result for probes b0..b1-1 (nb = b1 - b0; shapes as ProbeDynamics). Plain data: structured-cloneable. */
export interface DynamicsPart extends ProbeDynamics {
  b0: number;
  b1: number;
  /** dL/dx_t of the last-step loss [nb][T][D]. */
  inputGradients: Float64Array;
}

/**
 * Stage 1: dynamics of probes b0..b1-1 of inputs [B*T*D] (h0 = 0): the QR pass with plan.kA
 * vectors, saturation, alignment steps (rnn), dL/dx_t, and the Q/R check when b0 = 0.
 * `evaluatorOut`, when given, receives the part's flip evaluator (a single-pass caller reuses it).
 * `lyapunov`, when given (the GPU path), supplies the QR pass of these nb probes (probeDynamics).
 */
export function dynamicsPart(
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  plan: EpochPlan,
  b0: number,
  b1: number,
  onProgress?: PartProgress,
  evaluatorOut?: (ev: RecurrentFlipEvaluator) => void,
  lyapunov?: GivenLyapunov,
): DynamicsPart {
  const { T, D, k, kA, B } = plan;
  const probe = subProbe(inputs, labels, T, D, b0, b1);
  const d = probeDynamics(
    weights,
    probe,
    k,
    kA,
    plan.alignSteps,
    b0 === 0,
    onProgress && ((phase, done) => onProgress(phase === 'lyapunov' ? 'Lyapunov vectors' : 'alignment', done / B)),
    lyapunov,
  );
  const ev = createRecurrentFlipEvaluator(weights, probe.inputs, probe.labels, b1 - b0, T, D);
  evaluatorOut?.(ev);
  return { b0, b1, ...d, inputGradients: inputGradientsFor(weights, probe, ev) };
}

/** Flip jobs packed flat (cheap to post): job m flips steps[start[m] .. start[m+1]) of probe[m]. */
export interface PackedJobs {
  probe: Int32Array;
  start: Int32Array;
  steps: Int32Array;
}

/** One evaluator call of the flip phase, in call order: which jobs, and losses or logits. */
export interface FlipCall {
  kind: 'losses' | 'logits';
  phase: AnalysisPhase;
  jobs: PackedJobs;
}

/** Stage 2 result: the merged dynamics and every evaluator call the flip phase makes. */
export interface FlipPlan {
  plan: EpochPlan;
  /** Dynamics fields of the EpochAnalysis (alignment summary included). */
  dynamics: Pick<EpochAnalysis, 'lnR' | 'spectrum' | 'saturation' | 'qrGradRelErr' | 'alignment'>;
  /** dL/dx_t [B][T][D]. */
  inputGradients: Float64Array;
  calls: FlipCall[];
  /** Jobs per phase over all calls and probes (progress denominators, kept by splitFlipPlan). */
  phaseJobs: Partial<Record<AnalysisPhase, number>>;
}

/** Packs flip jobs (probe, steps) into PackedJobs. */
export function packJobs(jobs: FlipJob[]): PackedJobs {
  const start = new Int32Array(jobs.length + 1);
  for (let m = 0; m < jobs.length; m++) start[m + 1] = start[m] + jobs[m].steps.length;
  const steps = new Int32Array(start[jobs.length]);
  const probe = new Int32Array(jobs.length);
  jobs.forEach((j, m) => {
    probe[m] = j.probe;
    steps.set(Array.from(j.steps), start[m]);
  });
  return { probe, start, steps };
}

/** Runs the flip phase (flip test, single-step map, Fig 4) on `ev`; the phase tag says which part is running. */
function flipPhase(
  probe: AnalysisProbe,
  lnR: ArrayLike<number>,
  plan: EpochPlan,
  inputGradients: Float64Array,
  ev: FlipEvaluator,
  setPhase: (phase: AnalysisPhase) => void,
): EpochAnalysis['flip'] {
  setPhase('flip test');
  const result = flipTestOn(probe, lnR, plan.k, ev, inputGradients, {
    n: plan.n,
    kList: plan.kList,
    draws: plan.R,
    matchedDraws: plan.Rm,
    seed: plan.seed,
  });
  setPhase('single-pixel map');
  const single = plan.withSingle ? singlePixelFlipMap(ev) : null;
  let kIdx = result.k_list.findIndex((kk) => kk >= 10);
  if (kIdx < 0) kIdx = result.k_list.length - 1;
  else if (result.k_list[kIdx] > 10 && kIdx > 0) kIdx -= 1;
  const fig4 = fig4Softmax(ev, result.order, result.k_list[kIdx], result.rand_sets[kIdx][0]);
  return flipSummaryForSnapshot(result, single, fig4);
}

/** Stage 2: merges the dynamics parts (any split, any order given) and records the flip phase's jobs. */
export function planFlip(
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  plan: EpochPlan,
  parts: DynamicsPart[],
): FlipPlan {
  const { B, T, D, N, k } = plan;
  const sorted = [...parts].sort((a, b) => a.b0 - b.b0);
  let covered = 0;
  for (const p of sorted) {
    if (p.b0 !== covered) throw new Error(`analysis parts leave probes ${covered}..${p.b0 - 1} out`);
    covered = p.b1;
  }
  if (covered !== B) throw new Error(`analysis parts cover ${covered} of ${B} probes`);
  const lnR: number[] = new Array(B * T * k);
  const inputGradients = new Float64Array(B * T * D);
  const spectrum: number[][] = [];
  let saturated = 0;
  const per: ProbeStepAlignment[][] = [];
  for (const p of sorted) {
    for (let i = 0; i < p.lnR.length; i++) lnR[p.b0 * T * k + i] = p.lnR[i];
    inputGradients.set(p.inputGradients, p.b0 * T * D);
    spectrum.push(...p.spectrum);
    saturated += p.saturated;
    if (p.alignment) per.push(...p.alignment);
  }
  const alignment: AlignmentSummary | null = summarizeAlignment(
    per,
    weights,
    Math.min(ANALYSIS_DEFAULTS.alignQVectors, N),
    ANALYSIS_DEFAULTS.overlapM.filter((m) => m <= N),
    plan.seed,
  );
  const dynamics = { lnR, spectrum, saturation: saturated / (B * T * N), qrGradRelErr: sorted[0].qrGradRelErr ?? NaN, alignment };

  // The recording evaluator answers zeros: the jobs asked for never depend on the answers.
  const C = weights.numClasses;
  const calls: FlipCall[] = [];
  let phase: AnalysisPhase = 'flip test';
  const recorder: FlipEvaluator = {
    B,
    T,
    D,
    baseLoss: new Float64Array(B),
    losses: (jobs) => {
      calls.push({ kind: 'losses', phase, jobs: packJobs(jobs) });
      return new Float64Array(jobs.length);
    },
    logits: (jobs) => {
      calls.push({ kind: 'logits', phase, jobs: packJobs(jobs) });
      return { logits: new Float64Array(jobs.length * C), C };
    },
  };
  flipPhase({ B, T, D, inputs, labels }, lnR, plan, inputGradients, recorder, (p) => (phase = p));
  const phaseJobs: Partial<Record<AnalysisPhase, number>> = {};
  for (const c of calls) phaseJobs[c.phase] = (phaseJobs[c.phase] ?? 0) + c.jobs.probe.length;
  return { plan, dynamics, inputGradients, calls, phaseJobs };
}

/**
 * The parts of a FlipPlan that flipPart(b0, b1) reads, one per range: every call's jobs of that
 * range's probes only (same order, same global probe indices), without the dynamics. Cheaper to
 * post to a worker; flipPart gives the same result on it as on the whole plan. One pass over the
 * jobs (the pool runs this on the UI thread).
 */
export function splitFlipPlan(fp: FlipPlan, ranges: [number, number][]): FlipPlan[] {
  const B = fp.plan.B;
  const owner = new Int32Array(B).fill(-1);
  ranges.forEach(([b0, b1], i) => owner.fill(i, b0, b1));
  const perRange: FlipCall[][] = ranges.map(() => []);
  for (const call of fp.calls) {
    const { probe, start, steps } = call.jobs;
    const M = probe.length;
    const jobs = new Int32Array(ranges.length);
    const stepCount = new Int32Array(ranges.length);
    for (let m = 0; m < M; m++) {
      const i = owner[probe[m]];
      if (i < 0) continue;
      jobs[i]++;
      stepCount[i] += start[m + 1] - start[m];
    }
    const packs: PackedJobs[] = ranges.map((_, i) => ({
      probe: new Int32Array(jobs[i]),
      start: new Int32Array(jobs[i] + 1),
      steps: new Int32Array(stepCount[i]),
    }));
    const at = new Int32Array(ranges.length);
    for (let m = 0; m < M; m++) {
      const i = owner[probe[m]];
      if (i < 0) continue;
      const pk = packs[i];
      const j = at[i]++;
      pk.probe[j] = probe[m];
      pk.steps.set(steps.subarray(start[m], start[m + 1]), pk.start[j]);
      pk.start[j + 1] = pk.start[j] + start[m + 1] - start[m];
    }
    packs.forEach((jobsOfRange, i) => perRange[i].push({ kind: call.kind, phase: call.phase, jobs: jobsOfRange }));
  }
  const dynamics = { lnR: [], spectrum: [], saturation: fp.dynamics.saturation, qrGradRelErr: fp.dynamics.qrGradRelErr, alignment: null };
  return perRange.map((calls) => ({ plan: fp.plan, dynamics, inputGradients: new Float64Array(0), calls, phaseJobs: fp.phaseJobs }));
}

/** Stage 3 result for probes b0..b1-1: per call, the outputs of that call's jobs of these probes, in order. */
export interface FlipPart {
  b0: number;
  b1: number;
  /** Unflipped cross-entropy [nb] (nats). */
  baseLoss: Float64Array;
  /** Per call: losses [m] or logits [m][C] of the call's jobs whose probe is in b0..b1-1, in call order. */
  outputs: Float64Array[];
}

/**
 * Stage 3: evaluates the plan's flip jobs of probes b0..b1-1 on the cached float64 evaluator
 * (a new one, or `ev` from dynamicsPart of the same range). Each call is run as one call
 * restricted to these probes, so the evaluator's per-probe blocks are the single pass's.
 */
export function flipPart(
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  fp: FlipPlan,
  b0: number,
  b1: number,
  onProgress?: PartProgress,
  ev?: RecurrentFlipEvaluator,
): FlipPart {
  const { T, D, cost } = fp.plan;
  const probe = subProbe(inputs, labels, T, D, b0, b1);
  const evaluator = ev ?? createRecurrentFlipEvaluator(weights, probe.inputs, probe.labels, b1 - b0, T, D);
  const phaseJobs = fp.phaseJobs;
  const done: Partial<Record<AnalysisPhase, number>> = {};
  const outputs: Float64Array[] = [];
  for (const call of fp.calls) {
    const jobs: FlipJob[] = [];
    const { probe: pr, start, steps } = call.jobs;
    for (let m = 0; m < pr.length; m++)
      if (pr[m] >= b0 && pr[m] < b1) jobs.push({ probe: pr[m] - b0, steps: steps.subarray(start[m], start[m + 1]) });
    if (onProgress && cost[call.phase] > 0) {
      const total = phaseJobs[call.phase]!;
      evaluator.onJobsDone((m) => {
        const d = (done[call.phase] ?? 0) + m;
        done[call.phase] = d;
        onProgress(call.phase, Math.min(1, d / total));
      });
    }
    outputs.push(call.kind === 'losses' ? evaluator.losses(jobs) : evaluator.logits(jobs).logits);
    evaluator.onJobsDone(null);
  }
  return { b0, b1, baseLoss: evaluator.baseLoss.slice(), outputs };
}

/** Stage 4: replays the flip phase on the parts' outputs (any split) and assembles the EpochAnalysis. */
export function mergeEpoch(
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  fp: FlipPlan,
  parts: FlipPart[],
): EpochAnalysis {
  const { B, T, D, N, k } = fp.plan;
  const C = weights.numClasses;
  const partOf = new Int32Array(B).fill(-1);
  parts.forEach((p, i) => {
    for (let b = p.b0; b < p.b1; b++) partOf[b] = i;
  });
  if (partOf.some((i) => i < 0)) throw new Error('flip parts do not cover every probe');
  const baseLoss = new Float64Array(B);
  for (const p of parts) baseLoss.set(p.baseLoss, p.b0);
  // Full outputs per call, read back job by job from each part's own cursor.
  const full = fp.calls.map((call, c) => {
    const width = call.kind === 'losses' ? 1 : C;
    const M = call.jobs.probe.length;
    const out = new Float64Array(M * width);
    const cursor = new Int32Array(parts.length);
    for (let m = 0; m < M; m++) {
      const i = partOf[call.jobs.probe[m]];
      out.set(parts[i].outputs[c].subarray(cursor[i] * width, (cursor[i] + 1) * width), m * width);
      cursor[i]++;
    }
    return out;
  });
  let next = 0;
  const take = (kind: FlipCall['kind'], M: number): Float64Array => {
    const call = fp.calls[next];
    if (!call || call.kind !== kind || call.jobs.probe.length !== M) throw new Error('flip replay diverged from its plan');
    return full[next++];
  };
  const replay: FlipEvaluator = {
    B,
    T,
    D,
    baseLoss,
    losses: (jobs) => take('losses', jobs.length),
    logits: (jobs) => ({ logits: take('logits', jobs.length), C }),
  };
  const flip = flipPhase({ B, T, D, inputs, labels }, fp.dynamics.lnR, fp.plan, fp.inputGradients, replay, () => {});
  return { T, N, k, ...fp.dynamics, flip, plan: planRecord(fp.plan) };
}

/**
 * The epoch's analysis after the dynamics stage (stage 2 done): every field but the flip test,
 * which is null until mergeEpoch. What the pool and the single worker post as a partial snapshot.
 */
export function dynamicsAnalysis(fp: FlipPlan): Omit<PartialEpochSnapshot, 'epoch' | 'metrics'> {
  const { T, N, k } = fp.plan;
  return { T, N, k, ...fp.dynamics, flip: null, plan: planRecord(fp.plan), partial: 'dynamics' };
}

/** Splits B probes into at most `parts` contiguous ranges [b0, b1) of near-equal size (fixed for given B, parts). */
export function probeRanges(B: number, parts: number): [number, number][] {
  const P = Math.max(1, Math.min(B, Math.floor(parts)));
  return Array.from({ length: P }, (_, i) => [Math.floor((i * B) / P), Math.floor(((i + 1) * B) / P)] as [number, number]);
}

/**
 * Estimated flip work per probe of a FlipPlan [B]: the recurrent steps its jobs replay, sum over
 * jobs of T - (first flipped step) (the cached evaluator restarts each job there; an empty job costs 0).
 */
export function flipStepsPerProbe(fp: FlipPlan): Float64Array {
  const { B, T } = fp.plan;
  const cost = new Float64Array(B);
  for (const call of fp.calls) {
    const { probe, start, steps } = call.jobs;
    for (let m = 0; m < probe.length; m++) {
      let t0 = T;
      for (let j = start[m]; j < start[m + 1]; j++) if (steps[j] < t0) t0 = steps[j];
      cost[probe[m]] += T - t0;
    }
  }
  return cost;
}

/**
 * Splits probes 0..B-1 (B = cost.length) into at most `parts` contiguous non-empty ranges of
 * near-equal total cost (cut where the running cost first reaches i/parts of the total), so that
 * parts of one stage finish together although probes cost differently. Deterministic in
 * (cost, parts); equal costs give probeRanges' split sizes up to rounding.
 */
export function costRanges(cost: ArrayLike<number>, parts: number): [number, number][] {
  const B = cost.length;
  const P = Math.max(1, Math.min(B, Math.floor(parts)));
  let total = 0;
  for (let b = 0; b < B; b++) total += Math.max(0, cost[b]);
  if (!(total > 0)) return probeRanges(B, P);
  const out: [number, number][] = [];
  let b0 = 0;
  let run = 0;
  for (let b = 0; b < B; b++) {
    run += Math.max(0, cost[b]);
    const i = out.length + 1;
    const left = B - (b + 1);
    // Cut at the cost target, or where each range still to come has exactly one probe left.
    if (i < P && left >= P - i && (run >= (i * total) / P || left === P - i)) {
      out.push([b0, b + 1]);
      b0 = b + 1;
    }
  }
  out.push([b0, B]);
  return out;
}

/**
 * Merges the parts' PartProgress reports into one AnalysisProgress stream: the fraction is the
 * cost-weighted work done over all parts (non-decreasing), the phase the latest one reported.
 * Returns a reporter per part key.
 */
export function progressMerger(plan: EpochPlan, listener: (p: AnalysisProgress) => void): (part: string) => PartProgress {
  const order: AnalysisPhase[] = ['Lyapunov vectors', 'alignment', 'flip test', 'single-pixel map'];
  const total = order.reduce((a, p) => a + plan.cost[p], 0) || 1;
  const done = new Map<string, number>();
  let sum = 0;
  let last = 0;
  return (part) => (phase, d) => {
    const key = `${part}\u0000${phase}`;
    const v = plan.cost[phase] * Math.min(1, Math.max(0, d));
    const prev = done.get(key) ?? 0;
    if (v > prev) {
      done.set(key, v);
      sum += v - prev;
    }
    // Rounding of the running sum must not leave a finished analysis at 0.9999999.
    last = Math.max(last, sum >= total * (1 - 1e-9) ? 1 : sum / total);
    listener({ phase, fraction: last });
  };
}
