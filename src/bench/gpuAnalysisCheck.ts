/**
 * The GPU analysis check page (gpu-analysis-check.html): runs the WebGPU analysis engine
 * (src/model/gpuAnalysis) beside the float64 CPU analysis (src/core) in this browser and publishes
 * the deviations on window.__gpuAnalysisCheck for test/e2e/gpu-analysis.e2e.ts. Nothing here decides
 * pass or fail: the test asserts on the numbers.
 */
import { parseModelObject, type ModelWeights } from '../core/formats/model';
import { analyzeEpoch, type EpochAnalysis } from '../core/analysis/epochSnapshot';
import { dynamicsPart, flipPart, packJobs, planFlip, type PackedJobs } from '../core/analysis/epochParts';
import { createCell } from '../core/dynamics/cells';
import { probeTrajectory } from '../core/dynamics/trajectory';
import { qrIteration } from '../core/dynamics/lyapunov';
import { randomNetworkSpectrum } from '../core/dynamics/edgeOfChaos';
import { createRecurrentFlipEvaluator, type FlipJob } from '../core/sensitivity';
import { createRng } from '../core/rng';
import { PRESET_CONFIGS } from '../core/formats/config';
import { createAnalysisPool } from '../worker/analysisPool';
import { analysisWorkerSpawner } from '../worker/client';
import type { AnalyzeRequest, AnalyzerEvent } from '../worker/protocol';
import {
  analyzeEpochOnGpu,
  createGpuProbeSet,
  fullPlan,
  gpuFlipPart,
  gpuLyapunov,
  gpuRandomNetworkSpectrum,
  probeGpuAdapter,
  requestAnalysisDevice,
  type GpuAnalysisDevice,
} from '../model/gpuAnalysis';

let shared: GpuAnalysisDevice | null = null;
async function device(): Promise<GpuAnalysisDevice> {
  if (!shared || shared.isLost()) shared = await requestAnalysisDevice();
  return shared;
}

interface ProbeJson {
  inputs: number[][][];
  labels: number[];
}

/** Largest |a - b| over two arrays of the same length. */
function maxDev(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Holm decisions (0.05) and signs of every test of a flip summary, as comparable strings. */
function verdicts(a: EpochAnalysis): string[] {
  const f = a.flip;
  if (!f) return [];
  const dec = (p: number) => (Number.isNaN(p) ? 'nan' : p < 0.05 ? 'reject' : 'keep');
  const out: string[] = [];
  f.kList.forEach((k, i) => {
    out.push(`z k=${k} ${dec(f.zTest.p[i])} ${dec(f.zTest.pHolm[i])} ${Math.sign(f.zTest.d[i])}`);
    for (const [name, w] of Object.entries(f.wilcoxon))
      out.push(`wilcoxon ${name} k=${k} ${dec(w.p[i])} ${dec(w.pHolm[i])} ${Math.sign(w.medianDiff[i])}`);
  });
  return out;
}

/** Result of compareEpoch: the GPU path against the float64 path on one model and probe set. */
export interface EpochCompare {
  adapter: string;
  plan: { R: number; Rm: number; withSingle: boolean; kList: number[]; T: number; calls: number; jobs: number };
  /** Largest |GPU - float64| of flip-test losses, single-pixel dL, base losses (nats), logits. */
  devFlip: number;
  devSingle: number;
  devBase: number;
  devLogits: number;
  /** Largest |loss| seen (scale of devFlip). */
  scaleFlip: number;
  /** ln r [B][T][k] and Q_T of the GPU QR iteration against float64 (same k). */
  devLnR: number;
  devFtle: number;
  devQ: number;
  k: number;
  /** Verdict strings (test, k, raw and Holm decisions, sign) that differ between the GPU and float64 epochs. */
  verdictsDiffer: string[];
  verdictCount: number;
  /**
   * Stage 1 from the GPU QR pass (what the panels show on the GPU path) against the float64 epoch:
   * ln r [B][T][k] and the FTLE spectrum of the analyses, and Q_t of the paper's first
   * min(10, kA) Q vectors at every alignment step (gpuLyapunov against qrIteration, same kA).
   */
  stage1: { lnR: number; ftle: number; q: number; kA: number };
  /** The GPU epoch's own float64 check and engine record. */
  gpuCheck: EpochAnalysis['gpuCheck'];
  analysisEngine: EpochAnalysis['analysisEngine'];
  stagesMs: Record<string, number>;
}

/** The GPU epoch (full plan) against the float64 epoch with the same full plan, on a model and probe file. */
async function compareEpoch(modelObj: unknown, probeObj: ProbeJson, seed: number, k = 4): Promise<EpochCompare> {
  const weights = parseModelObject(modelObj);
  const B = probeObj.labels.length;
  const T = probeObj.inputs[0].length;
  const D = probeObj.inputs[0][0].length;
  const inputs = Float64Array.from(probeObj.inputs.flat(2));
  const labels = probeObj.labels;
  const opts = { k: Math.min(k, weights.hiddenSize), n: 1, draws: 50, seed };
  const dev = await device();
  const plan = fullPlan(weights, B, T, D, opts);
  // Stage 1 and 2 in float64, then the same plan's jobs on both engines.
  const dyn = dynamicsPart(weights, inputs, labels, plan, 0, B);
  const fp = planFlip(weights, inputs, labels, plan, [dyn]);
  const cpu = flipPart(weights, inputs, labels, fp, 0, B);
  const set = await createGpuProbeSet(dev, weights, inputs, labels, B, T, D);
  let devFlip = 0;
  let devSingle = 0;
  let devLogits = 0;
  let scaleFlip = 0;
  let devLnR = 0;
  let devFtle = 0;
  let devQ = 0;
  let devBase = 0;
  try {
    const gpu = await gpuFlipPart(set, fp, 0, B);
    devBase = maxDev(gpu.baseLoss, cpu.baseLoss);
    fp.calls.forEach((call, c) => {
      const d = maxDev(gpu.outputs[c], cpu.outputs[c]);
      if (call.kind === 'logits') devLogits = Math.max(devLogits, d);
      else if (call.phase === 'single-pixel map') devSingle = Math.max(devSingle, d);
      else devFlip = Math.max(devFlip, d);
      if (call.kind === 'losses') for (const v of cpu.outputs[c]) scaleFlip = Math.max(scaleFlip, Math.abs(v));
    });
    const kq = opts.k;
    const qr = await set.qr(kq);
    const cell = createCell(weights);
    for (let b = 0; b < B; b++) {
      const traj = probeTrajectory(cell, { T, inputs }, b);
      const run = qrIteration(cell, inputs, b * T * D, traj, { k: kq });
      devLnR = Math.max(devLnR, maxDev(qr.lnR.subarray(b * T * kq, (b + 1) * T * kq), run.lnR));
      devQ = Math.max(devQ, maxDev(qr.qFinal.subarray(b * kq * weights.hiddenSize, (b + 1) * kq * weights.hiddenSize), run.qFinal));
      for (let a = 0; a < kq; a++) {
        let s32 = 0;
        let s64 = 0;
        for (let t = 0; t < T; t++) {
          s32 += qr.lnR[(b * T + t) * kq + a];
          s64 += run.lnR[t * kq + a];
        }
        devFtle = Math.max(devFtle, Math.abs(s32 - s64) / T);
      }
    }
  } finally {
    set.dispose();
  }
  const g = await analyzeEpochOnGpu(dev, weights, inputs, labels, T, D, opts);
  const f64 = analyzeEpoch(weights, inputs, labels, T, D, { ...opts, budgetMacs: Number.POSITIVE_INFINITY });
  const lyap = await gpuLyapunov(dev, weights, inputs, labels, plan);
  const N = weights.hiddenSize;
  const nq = Math.min(10, plan.kA);
  let stage1Q = 0;
  const cell = createCell(weights);
  for (let b = 0; b < B; b++) {
    const traj = probeTrajectory(cell, { T, inputs }, b);
    const run = qrIteration(cell, inputs, b * T * D, traj, { k: plan.kA, keepQAt: plan.alignSteps });
    for (const t of plan.alignSteps)
      stage1Q = Math.max(stage1Q, maxDev(lyap.qAt[b].get(t)!.subarray(0, nq * N), run.qAt!.get(t)!.subarray(0, nq * N)));
  }
  const stage1 = {
    lnR: maxDev(g.analysis.lnR, f64.lnR),
    ftle: maxDev(g.analysis.spectrum.flat(), f64.spectrum.flat()),
    q: stage1Q,
    kA: plan.kA,
  };
  const vg = verdicts(g.analysis);
  const vc = verdicts(f64);
  return {
    adapter: dev.adapter,
    plan: {
      R: plan.R,
      Rm: plan.Rm,
      withSingle: plan.withSingle,
      kList: plan.kList,
      T,
      calls: fp.calls.length,
      jobs: fp.calls.reduce((a, c) => a + c.jobs.probe.length, 0),
    },
    devFlip,
    devSingle,
    devBase,
    devLogits,
    scaleFlip,
    devLnR,
    devFtle,
    devQ,
    k: opts.k,
    verdictsDiffer: vg.filter((v, i) => v !== vc[i]),
    verdictCount: vc.length,
    stage1,
    gpuCheck: g.analysis.gpuCheck,
    analysisEngine: g.analysis.analysisEngine,
    stagesMs: { ...g.stagesMs },
  };
}

/** A seeded random rnn (PyTorch layout) with gain `gain`: W_hh ~ N(0, gain^2 / N). */
function randomRnn(N: number, D: number, C: number, gain: number, seed: number): ModelWeights {
  const rng = createRng(seed);
  const u = (n: number, s: number) => Float64Array.from({ length: n }, () => (2 * rng.next() - 1) * s);
  return {
    arch: 'rnn',
    inputSize: D,
    hiddenSize: N,
    numClasses: C,
    tensors: {
      weight_ih_l0: u(N * D, 1),
      weight_hh_l0: u(N * N, gain * Math.sqrt(3 / N)),
      bias_ih_l0: u(N, 0.1),
      bias_hh_l0: u(N, 0.1),
      'fc.weight': u(C * N, 1 / Math.sqrt(N)),
      'fc.bias': u(C, 0.1),
    },
  };
}

/**
 * Random jobs on a random rnn at a shape the fixtures do not reach (several hidden units per
 * thread, a partial last workgroup of lanes): GPU losses and QR against the float64 evaluator and qrIteration.
 */
async function compareJobs(c: {
  N: number;
  T: number;
  D: number;
  B: number;
  M: number;
  k: number;
  gain: number;
  seed: number;
  threads?: number;
  lanes?: number;
}) {
  const weights = randomRnn(c.N, c.D, 10, c.gain, c.seed);
  const rng = createRng(c.seed + 1);
  const inputs = Float64Array.from({ length: c.B * c.T * c.D }, () => (rng.next() < 0.7 ? 0 : rng.next()));
  const labels = Array.from({ length: c.B }, () => rng.int(10));
  const jobs: FlipJob[] = Array.from({ length: c.M }, () => {
    const n = 1 + rng.int(Math.min(5, c.T));
    const steps = new Set<number>();
    while (steps.size < n) steps.add(rng.int(c.T));
    return { probe: rng.int(c.B), steps: [...steps] };
  });
  const ev = createRecurrentFlipEvaluator(weights, inputs, labels, c.B, c.T, c.D);
  const ref = ev.losses(jobs);
  const dev = await device();
  const set = await createGpuProbeSet(dev, weights, inputs, labels, c.B, c.T, c.D, { threads: c.threads, lanes: c.lanes });
  try {
    const packed: PackedJobs = packJobs(jobs);
    const got = await set.losses(packed);
    const qr = await set.qr(c.k, [Math.floor(c.T / 2)]);
    const cell = createCell(weights);
    let devLnR = 0;
    let devQ = 0;
    let devQmid = 0;
    for (let b = 0; b < c.B; b++) {
      const traj = probeTrajectory(cell, { T: c.T, inputs }, b);
      const run = qrIteration(cell, inputs, b * c.T * c.D, traj, { k: c.k, keepQAt: [Math.floor(c.T / 2)] });
      devLnR = Math.max(devLnR, maxDev(qr.lnR.subarray(b * c.T * c.k, (b + 1) * c.T * c.k), run.lnR));
      devQ = Math.max(devQ, maxDev(qr.qFinal.subarray(b * c.k * c.N, (b + 1) * c.k * c.N), run.qFinal));
      const mid = qr.qAt.get(Math.floor(c.T / 2))!;
      devQmid = Math.max(devQmid, maxDev(mid.subarray(b * c.k * c.N, (b + 1) * c.k * c.N), run.qAt!.get(Math.floor(c.T / 2))!));
    }
    return { devLoss: maxDev(got, ref), devBase: maxDev(set.baseLoss, ev.baseLoss), devLnR, devQ, devQmid, M: c.M };
  } finally {
    set.dispose();
  }
}

/**
 * The edge-of-chaos spectrum on the GPU (gpuRandomNetworkSpectrum) beside the float64 CPU one
 * (randomNetworkSpectrum) for the same network: largest deviation of the exponents and of their
 * time SEs, and lambda_1 of both.
 */
async function compareChaos(c: { N: number; k: number; g: number; seed: number; steps: number; transient: number; threads?: number }) {
  const settings = { hidden: c.N, k: c.k, steps: c.steps, transient: c.transient, drive: null };
  const cpu = randomNetworkSpectrum(c.g, c.seed, settings);
  const gpu = await gpuRandomNetworkSpectrum(await device(), c.g, c.seed, settings, { threads: c.threads });
  return {
    devSpectrum: maxDev(gpu.spectrum, cpu.spectrum),
    devTimeSe: maxDev(gpu.timeSe, cpu.timeSe),
    lambda1Gpu: gpu.spectrum[0],
    lambda1Cpu: cpu.spectrum[0],
  };
}

/** device.destroy() between upload and evaluation: what the engine throws. */
async function lostDevice(): Promise<{ name: string; message: string; isLost: boolean }> {
  const dev = await requestAnalysisDevice();
  const weights = randomRnn(8, 1, 10, 1, 3);
  const inputs = new Float64Array(2 * 6);
  const set = await createGpuProbeSet(dev, weights, inputs, [1, 2], 2, 6, 1);
  dev.destroy();
  try {
    await set.losses(packJobs([{ probe: 0, steps: [2] }]));
    return { name: 'none', message: 'no error', isLost: dev.isLost() };
  } catch (e) {
    await dev.lost;
    return { name: (e as Error).name, message: (e as Error).message, isLost: dev.isLost() };
  }
}

/**
 * The app's path end to end: a pool of real analysis workers (analysis.worker.ts) analyses epoch 1
 * with analysisEngine 'gpu' while a 'loseGpu' rehearsal destroys the worker's device at the start of
 * its flip stage, then epoch 2 on a fresh device. Returns the events (no progress) and the analyses,
 * with the float64 CPU analysis of the same request for comparison.
 */
async function poolFallback(modelObj: unknown, probeObj: ProbeJson, seed: number) {
  const weights = parseModelObject(modelObj);
  const T = probeObj.inputs[0].length;
  const D = probeObj.inputs[0][0].length;
  const tensors: Record<string, { shape: number[]; data: Float64Array }> = {};
  for (const [name, data] of Object.entries(weights.tensors)) tensors[name] = { shape: [data.length], data };
  const shapes = (modelObj as { tensors: Record<string, { shape: number[] }> }).tensors;
  for (const name of Object.keys(tensors)) tensors[name].shape = shapes[name].shape;
  const config = { ...PRESET_CONFIGS.quick, seed, draws: 50 };
  const req = (epoch: number): AnalyzeRequest => ({
    type: 'analyze',
    runId: 'check',
    epoch,
    config,
    arch: 'rnn',
    weights: tensors,
    probe: { inputs: Float64Array.from(probeObj.inputs.flat(2)), labels: probeObj.labels, T, D },
    analysisEngine: 'gpu',
  });
  const pool = createAnalysisPool(analysisWorkerSpawner(), 2);
  const events: AnalyzerEvent[] = [];
  await new Promise<void>((resolve) => {
    let done = 0;
    pool.onEvent((ev) => {
      if (ev.type !== 'progress') events.push(ev);
      if ((ev.type === 'analysis' || ev.type === 'error') && ++done === 2) resolve();
    });
    pool.post({ type: 'loseGpu' });
    pool.post(req(1));
    pool.post(req(2));
  });
  pool.terminate();
  const cpu = analyzeEpoch(weights, Float64Array.from(probeObj.inputs.flat(2)), probeObj.labels, T, D, {
    k: config.k,
    n: config.n,
    draws: config.draws,
    seed,
  });
  return {
    kinds: events.map((e) => `${e.type}:${e.epoch}`),
    fallbackMessage:
      events.find((e) => e.type === 'gpuFallback')?.type === 'gpuFallback'
        ? (events.find((e) => e.type === 'gpuFallback') as { message: string }).message
        : '',
    /** Where each complete analysis ran, in arrival order. */
    engines: events.flatMap((e) => (e.type === 'analysis' ? [e.analysis.analysisEngine ?? null] : [])),
    /** Epoch 1 (re-run on the CPU) against analyzeEpoch: largest |difference| of ln r and of the flip dL tables. */
    epoch1VsCpu: (() => {
      const a = events.find((e) => e.type === 'analysis' && e.epoch === 1) as Extract<AnalyzerEvent, { type: 'analysis' }> | undefined;
      if (!a) return null;
      const lnR = maxDev(a.analysis.lnR, cpu.lnR);
      const dRand = maxDev(a.analysis.flip!.dLRand.flat(2), cpu.flip!.dLRand.flat(2));
      return { lnR, dRand, R: a.analysis.flip!.R, cpuR: cpu.flip!.R };
    })(),
    epoch2R:
      (events.find((e) => e.type === 'analysis' && e.epoch === 2) as Extract<AnalyzerEvent, { type: 'analysis' }> | undefined)?.analysis
        .flip?.R ?? 0,
  };
}

declare global {
  interface Window {
    __gpuAnalysisCheck?: {
      available: typeof probeGpuAdapter;
      compareEpoch: typeof compareEpoch;
      compareJobs: typeof compareJobs;
      compareChaos: typeof compareChaos;
      lostDevice: typeof lostDevice;
      poolFallback: typeof poolFallback;
    };
  }
}

window.__gpuAnalysisCheck = { available: probeGpuAdapter, compareEpoch, compareJobs, compareChaos, lostDevice, poolFallback };
document.getElementById('out')!.textContent = 'ready: window.__gpuAnalysisCheck';
