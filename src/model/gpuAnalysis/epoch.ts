/**
 * One epoch's analysis on the GPU path (docs/gpu-engines.md, "GPU analysis engine"): the paper's
 * FULL plan (planEpoch with no budget: R = 50 random draws, 10 matched draws per baseline, every k
 * up to T, the single-pixel map), the stages of core/analysis/epochParts.ts with the flip stage's jobs
 * evaluated on the GPU, and the float64 check of one probe (EpochSnapshot.gpuCheck).
 *
 * What runs where: stage 1's QR iteration (the panels' ln r, FTLE and the Q_t the alignment
 * reads) runs on the GPU (gpuLyapunov); the rest of stage 1 (float64 trajectories, saturation,
 * the alignment's prefix-loss gradients and SVDs from the GPU's Q_t, the Q/R check, CLVs,
 * dL/dx_t) stays on the CPU. Stage 3, every flip job and the single-pixel map (~all of the
 * paper-scale cost), runs on the GPU; stages 2 and 4 are the CPU's. The float64 check recomputes
 * one probe's QR pass, alignment cosines and flip losses in float64 against the GPU's.
 */
import type { ModelWeights } from '../../core/formats/model';
import type { EpochAnalysis, EpochAnalysisOptions } from '../../core/analysis/epochSnapshot';
import type { GpuCheck } from '../../core/snapshot';
import {
  dynamicsPart,
  flipPart,
  mergeEpoch,
  planEpoch,
  planFlip,
  splitFlipPlan,
  type EpochPlan,
  type FlipPart,
  type FlipPlan,
  type PackedJobs,
} from '../../core/analysis/epochParts';
import type { GivenLyapunov } from '../../core/analysis/epochAnalysis';
import { ANALYSIS_DEFAULTS } from '../../core/analysis/analysisDefaults';
import { createCell } from '../../core/dynamics/cells';
import { probeTrajectory } from '../../core/dynamics/trajectory';
import { qrIteration } from '../../core/dynamics/lyapunov';
import { cosineMatrix, probeStepAlignments } from '../../core/dynamics/alignment';
import { createGpuProbeSet, crossEntropy, type GpuAnalysisDevice, type GpuProbeSet, type GpuQrResult } from './engine';

/** The GPU path's plan: planEpoch with no budget cut (the paper's R, Rm, k list and single-pixel map). */
export function fullPlan(
  weights: ModelWeights,
  B: number,
  T: number,
  D: number,
  opts: Omit<EpochAnalysisOptions, 'onProgress' | 'budgetMacs'>,
): EpochPlan {
  return planEpoch(weights, B, T, D, { ...opts, budgetMacs: Number.POSITIVE_INFINITY });
}

/** A GPU QR result as stage 1 takes it: ln r [B][T][kA] and, per probe, step -> Q_t [kA][N] (vector-major). */
function lyapunovOf(r: GpuQrResult): GivenLyapunov {
  const { B, k, N } = r;
  const qAt = Array.from({ length: B }, (_, b) => {
    const m = new Map<number, Float64Array>();
    for (const [t, q] of r.qAt) m.set(t, q.slice(b * k * N, (b + 1) * k * N));
    return m;
  });
  return { kA: k, lnR: r.lnR, qAt };
}

/**
 * Stage 1's QR pass on the GPU for every probe (rnn): plan.kA tracked vectors, Q kept at the
 * alignment steps (plan.alignSteps), in float32 (values widened). Feed it to dynamicsPart (sliced
 * per probe range with sliceLyapunov) in place of the float64 QR pass. Throws GpuDeviceLostError on a loss.
 */
export async function gpuLyapunov(
  dev: GpuAnalysisDevice,
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  plan: EpochPlan,
): Promise<GivenLyapunov> {
  const set = await createGpuProbeSet(dev, weights, inputs, labels, plan.B, plan.T, plan.D);
  try {
    return lyapunovOf(await set.qr(plan.kA, plan.alignSteps));
  } finally {
    set.dispose();
  }
}

/** Evaluates every call of `fp` (any probe subset, global probe indices) on `set` in ONE job batch; FlipPart for b0..b1. */
export async function gpuFlipPart(set: GpuProbeSet, fp: FlipPlan, b0: number, b1: number): Promise<FlipPart> {
  const calls = fp.calls;
  const M = calls.reduce((a, c) => a + c.jobs.probe.length, 0);
  const S = calls.reduce((a, c) => a + c.jobs.steps.length, 0);
  const all: PackedJobs = { probe: new Int32Array(M), start: new Int32Array(M + 1), steps: new Int32Array(S) };
  let m = 0;
  let s = 0;
  for (const c of calls) {
    all.probe.set(c.jobs.probe, m);
    all.steps.set(c.jobs.steps, s);
    for (let j = 0; j < c.jobs.probe.length; j++) all.start[m + j + 1] = s + c.jobs.start[j + 1];
    m += c.jobs.probe.length;
    s += c.jobs.steps.length;
  }
  const z = await set.logits(all);
  const C = set.C;
  let at = 0;
  const outputs = calls.map((c) => {
    const n = c.jobs.probe.length;
    const block = z.subarray(at * C, (at + n) * C);
    at += n;
    if (c.kind === 'logits') return block.slice();
    return Float64Array.from({ length: n }, (_, j) => crossEntropy(block, j * C, C, set.labels[c.jobs.probe[j]]));
  });
  return { b0, b1, baseLoss: set.baseLoss.slice(b0, b1), outputs };
}

/** Stage timings (ms) of a GPU epoch. */
export interface GpuEpochStages {
  dynamics: number;
  plan: number;
  flip: number;
  merge: number;
  check: number;
}

/** A GPU-analysed epoch: the analysis (with analysisEngine and gpuCheck), its plan and stage times. */
export interface GpuEpochResult {
  analysis: EpochAnalysis;
  plan: EpochPlan;
  stagesMs: GpuEpochStages;
}

/** The checked probe of a run: seed mod B (a fixed choice derived from the run seed, so reruns check the same probe). */
export function checkedProbe(seed: number, B: number): number {
  return (((Math.floor(seed) % B) + B) % B) | 0;
}

/** Holm decisions and verdicts at 0.05 of a flip summary, by test name. */
function decisions(a: EpochAnalysis): Map<string, string> {
  const out = new Map<string, string>();
  const f = a.flip;
  if (!f) return out;
  const dec = (p: number) => (Number.isNaN(p) ? 'nan' : p < 0.05 ? 'reject' : 'keep');
  f.kList.forEach((kk, i) => {
    out.set(`z test k=${kk}`, `${dec(f.zTest.p[i])}/${dec(f.zTest.pHolm[i])}/${Math.sign(f.zTest.d[i])}`);
    for (const [name, w] of Object.entries(f.wilcoxon))
      out.set(`wilcoxon ${name} k=${kk}`, `${dec(w.p[i])}/${dec(w.pHolm[i])}/${Math.sign(w.medianDiff[i])}`);
  });
  return out;
}

/**
 * Analyses one epoch on the GPU (rnn): weights, inputs [B][T][D], labels [B]. Throws
 * GpuDeviceLostError when the device is lost at any point (the caller re-runs it on the CPU).
 * `onStage(name)` is told as each stage starts.
 */
export async function analyzeEpochOnGpu(
  dev: GpuAnalysisDevice,
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  T: number,
  D: number,
  opts: Omit<EpochAnalysisOptions, 'onProgress' | 'budgetMacs'>,
  onStage?: (stage: keyof GpuEpochStages) => void,
): Promise<GpuEpochResult> {
  const B = labels.length;
  const plan = fullPlan(weights, B, T, D, opts);
  const t0 = performance.now();
  onStage?.('dynamics');
  const lyapunov = await gpuLyapunov(dev, weights, inputs, labels, plan);
  const dyn = dynamicsPart(weights, inputs, labels, plan, 0, B, undefined, undefined, lyapunov);
  const t1 = performance.now();
  onStage?.('plan');
  const fp = planFlip(weights, inputs, labels, plan, [dyn]);
  const t2 = performance.now();
  const r = await gpuFlipStage(dev, weights, inputs, labels, fp, onStage);
  return { analysis: r.analysis, plan, stagesMs: { dynamics: t1 - t0, plan: t2 - t1, ...r.stagesMs } };
}

/**
 * Stages 3 and 4 of a GPU epoch from a FlipPlan (stages 1-2 ran anywhere, e.g. on the CPU pool):
 * every flip job on the GPU, the merge, and the float64 check of probe checkedProbe(plan.seed, B).
 * Returns the analysis with analysisEngine and gpuCheck set. Throws GpuDeviceLostError on a loss.
 */
export async function gpuFlipStage(
  dev: GpuAnalysisDevice,
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  fp: FlipPlan,
  onStage?: (stage: keyof GpuEpochStages) => void,
): Promise<{ analysis: EpochAnalysis; stagesMs: Pick<GpuEpochStages, 'flip' | 'merge' | 'check'> }> {
  const { plan } = fp;
  const { B, T, D } = plan;
  const now = () => performance.now();
  const t2 = now();
  onStage?.('flip');
  const set = await createGpuProbeSet(dev, weights, inputs, labels, B, T, D);
  try {
    const bc = checkedProbe(plan.seed, B);
    // Ranges [0, bc), [bc, bc+1), [bc+1, B) (empty ones dropped): the checked probe's part can be swapped.
    const cuts = [
      [0, bc],
      [bc, bc + 1],
      [bc + 1, B],
    ].filter(([a, b]) => b > a) as [number, number][];
    const plans = splitFlipPlan(fp, cuts);
    const gpuParts: FlipPart[] = [];
    for (let i = 0; i < cuts.length; i++) gpuParts.push(await gpuFlipPart(set, plans[i], cuts[i][0], cuts[i][1]));
    const t3 = now();
    onStage?.('merge');
    const analysis = mergeEpoch(weights, inputs, labels, fp, gpuParts);
    const t4 = now();
    onStage?.('check');
    const gpuCheck = await float64Check(set, weights, inputs, labels, plan, fp, cuts, gpuParts, bc, analysis);
    const t5 = now();
    return {
      analysis: { ...analysis, analysisEngine: { kind: 'gpu', adapter: dev.adapter }, gpuCheck },
      stagesMs: { flip: t3 - t2, merge: t4 - t3, check: t5 - t4 },
    };
  } finally {
    set.dispose();
  }
}

/** The float64 check of probe bc (GpuCheck's fields). */
async function float64Check(
  set: GpuProbeSet,
  weights: ModelWeights,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  plan: EpochPlan,
  fp: FlipPlan,
  cuts: [number, number][],
  gpuParts: FlipPart[],
  bc: number,
  gpuAnalysis: EpochAnalysis,
): Promise<GpuCheck> {
  const { T, D, k, kA, N, alignSteps } = plan;
  const i = cuts.findIndex(([a]) => a === bc);
  const sub = splitFlipPlan(fp, [[bc, bc + 1]])[0];
  const cpuPart = flipPart(weights, inputs, labels, sub, bc, bc + 1);
  const gpuPart = gpuParts[i];
  let maxDevFlipDL = 0;
  let maxDevSingle = 0;
  fp.calls.forEach((call, c) => {
    if (call.kind !== 'losses') return;
    const g = gpuPart.outputs[c];
    const f = cpuPart.outputs[c];
    for (let j = 0; j < f.length; j++) {
      // dL = loss - base loss: both sides' own base.
      const dev = Math.abs(g[j] - gpuPart.baseLoss[0] - (f[j] - cpuPart.baseLoss[0]));
      if (call.phase === 'single-pixel map') maxDevSingle = Math.max(maxDevSingle, dev);
      else maxDevFlipDL = Math.max(maxDevFlipDL, dev);
    }
  });
  // Verdicts with the checked probe's float64 losses in place of the GPU's.
  const mixed = mergeEpoch(
    weights,
    inputs,
    labels,
    fp,
    gpuParts.map((p, j) => (j === i ? cpuPart : p)),
  );
  const a = decisions(gpuAnalysis);
  const b = decisions(mixed);
  const decisionsDiffer = [...a.keys()].filter((name) => a.get(name) !== b.get(name));
  // Stage 1's GPU QR pass again (same kernel, same inputs: the values the panels read) against
  // float64 with the same kA vectors and MGS: ln r and FTLE of the panels' first k vectors, and
  // Q_t of those k at every alignment step (the last is T).
  const qr = await set.qr(kA, alignSteps);
  const cell = createCell(weights);
  const probe = { B: 1, T, D, inputs: inputs.subarray(bc * T * D, (bc + 1) * T * D) };
  const traj = probeTrajectory(cell, probe, 0);
  const run = qrIteration(cell, probe.inputs, 0, traj, { k: kA, keepQAt: alignSteps });
  let maxDevLnR = 0;
  const sum32 = new Float64Array(k);
  const sum64 = new Float64Array(k);
  for (let t = 0; t < T; t++)
    for (let a2 = 0; a2 < k; a2++) {
      const g = qr.lnR[(bc * T + t) * kA + a2];
      const f = run.lnR[t * kA + a2];
      maxDevLnR = Math.max(maxDevLnR, Math.abs(g - f));
      sum32[a2] += g;
      sum64[a2] += f;
    }
  let maxDevFtle = 0;
  for (let a2 = 0; a2 < k; a2++) maxDevFtle = Math.max(maxDevFtle, Math.abs(sum32[a2] - sum64[a2]) / T);
  let maxDevQ = 0;
  for (const t of alignSteps) {
    const g = qr.qAt.get(t)!;
    const f = run.qAt!.get(t)!;
    for (let x = 0; x < k * N; x++) maxDevQ = Math.max(maxDevQ, Math.abs(g[bc * kA * N + x] - f[x]));
  }
  // Alignment cosines of this probe (its float64 prefix-loss SVDs; both paths take the same ones)
  // with the GPU's Q_t against float64 Q_t: the paper's Q vectors against both singular bases.
  const steps = probeStepAlignments(cell, traj, labels[bc], alignSteps, run.qAt!, kA, undefined, { inputs: probe.inputs, xBase: 0 });
  const nq = Math.min(ANALYSIS_DEFAULTS.alignQVectors, kA);
  const qIdx = Array.from({ length: nq }, (_, j) => j);
  let maxDevCosine = 0;
  for (const st of steps) {
    const nsv = Math.min(ANALYSIS_DEFAULTS.alignSingularVectors, N, st.svd.r);
    const qg = qr.qAt.get(st.t)!.subarray(bc * kA * N, (bc + 1) * kA * N);
    const qf = run.qAt!.get(st.t)!;
    for (const W of [st.svd.V, st.svd.U]) {
      const cg = new Float64Array(nq * nsv);
      const cf = new Float64Array(nq * nsv);
      cosineMatrix(qg, qIdx, W, nsv, N, cg);
      cosineMatrix(qf, qIdx, W, nsv, N, cf);
      for (let x = 0; x < cg.length; x++) maxDevCosine = Math.max(maxDevCosine, Math.abs(cg[x] - cf[x]));
    }
  }
  return { probe: bc, maxDevLnR, maxDevFtle, maxDevQ, maxDevFlipDL, maxDevSingle, maxDevCosine, decisionsDiffer };
}
