/**
 * The WebGPU check page (webgpu-check.html): runs the fused-webgpu engine beside FastRnn (pure-JS
 * kernels, the reference engine) in this browser and publishes the comparisons on
 * window.__webgpuCheck for test/e2e/fused-webgpu.e2e.ts (page.evaluate) and for timing by hand.
 * Nothing here decides pass or fail: the test asserts on the numbers.
 */
import { createFusedWebgpuTrainer, fusedWebgpuLiveBytes, webgpuAvailable, type FusedWebgpuTuning } from '../model/fused/webgpu';
import { FastRnn } from '../model/fast/engine';
import { createJsTrainingKernels } from '../model/fast/kernels';
import { RNN_TENSOR_NAMES, type RnnTensorName, type RnnWeights } from '../model/init';
import type { OptimizerName, Reduction } from '../model/rnn';
import { createRng } from '../core/rng';

/** One side-by-side training run. */
export interface CompareCase {
  D: number;
  N: number;
  C: number;
  T: number;
  B: number;
  steps: number;
  optimizer: OptimizerName;
  reduction: Reduction;
  bias: boolean;
  clip: number;
  lr: number;
  gain?: number;
  seed: number;
  tuning?: FusedWebgpuTuning;
  /** Sequences in the final evaluate() batch (default B; more than 64 makes the engine evaluate in chunks). */
  evalB?: number;
}

export interface CompareResult {
  /** Per step: fused loss, fast loss, fused correct, fast correct. */
  lossFused: number[];
  lossFast: number[];
  correctFused: number[];
  correctFast: number[];
  /** Largest |fused - fast| over each tensor's elements after every step (max over steps). */
  weightDiff: Record<RnnTensorName, number>;
  /** Largest |fast| of each tensor after the last step (the scale of the differences). */
  weightScale: Record<RnnTensorName, number>;
  /** Largest |fused - fast| of the initial weights (must be 0: the same init uploaded). */
  initDiff: number;
  evalFused: { loss: number; acc: number };
  evalFast: { loss: number; acc: number };
  dispatchesPerStep: number;
  gpuBytes: number;
  adapter: string;
}

/** A seeded batch: x [B][T][D] in [0, 1) with about half the values 0 (like MNIST pixels), labels [B]. */
function batch(seed: number, B: number, T: number, D: number, C: number): { x: Float32Array; y: Int32Array } {
  const rng = createRng(seed);
  const x = new Float32Array(B * T * D);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < 0.5 ? 0 : rng.next();
  const y = new Int32Array(B);
  for (let b = 0; b < B; b++) y[b] = rng.int(C);
  return { x, y };
}

function maxDiff(a: RnnWeights, b: RnnWeights, into: Record<RnnTensorName, number>): number {
  let all = 0;
  for (const n of RNN_TENSOR_NAMES) {
    let m = 0;
    for (let i = 0; i < a[n].data.length; i++) m = Math.max(m, Math.abs(a[n].data[i] - b[n].data[i]));
    into[n] = Math.max(into[n] ?? 0, m);
    all = Math.max(all, m);
  }
  return all;
}

async function compare(c: CompareCase, fixture?: { tensors: RnnWeights; x: number[]; y: number[] }): Promise<CompareResult> {
  const opts = {
    inputSize: c.D,
    hiddenSize: c.N,
    numClasses: c.C,
    seed: c.seed,
    optimizer: c.optimizer,
    reduction: c.reduction,
    bias: c.bias,
    clip: c.clip,
    lr: c.lr,
    gain: c.gain ?? 1,
  };
  const fused = await createFusedWebgpuTrainer({ ...opts, tuning: c.tuning });
  const fast = new FastRnn(opts, createJsTrainingKernels());
  try {
    if (fixture) {
      fused.setWeights(fixture.tensors);
      fast.setWeights(fixture.tensors);
    }
    const weightDiff = {} as Record<RnnTensorName, number>;
    const initDiff = maxDiff(await fused.getWeights(), fast.getWeights(), {} as Record<RnnTensorName, number>);
    const r: CompareResult = {
      lossFused: [],
      lossFast: [],
      correctFused: [],
      correctFast: [],
      weightDiff,
      weightScale: {} as Record<RnnTensorName, number>,
      initDiff,
      evalFused: { loss: 0, acc: 0 },
      evalFast: { loss: 0, acc: 0 },
      dispatchesPerStep: 0,
      gpuBytes: 0,
      adapter: fused.adapter,
    };
    for (let s = 0; s < c.steps; s++) {
      const { x, y } = fixture
        ? { x: Float32Array.from(fixture.x), y: Int32Array.from(fixture.y) }
        : batch(c.seed * 1000 + s, c.B, c.T, c.D, c.C);
      const a = await fused.trainBatch(x, y, c.B, c.T, c.D);
      const b = fast.trainStep(x, y, c.B);
      r.lossFused.push(a.loss);
      r.lossFast.push(b.loss);
      r.correctFused.push(a.correct);
      r.correctFast.push(b.correct);
      maxDiff(await fused.getWeights(), fast.getWeights(), weightDiff);
    }
    const wf = fast.getWeights();
    for (const n of RNN_TENSOR_NAMES) r.weightScale[n] = wf[n].data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const EB = fixture ? c.B : (c.evalB ?? c.B);
    const ev = fixture ? { x: Float32Array.from(fixture.x), y: Int32Array.from(fixture.y) } : batch(c.seed * 1000 + 999, EB, c.T, c.D, c.C);
    r.evalFused = await fused.evaluate(ev.x, ev.y, EB, c.T, c.D);
    r.evalFast = fast.evaluate(ev.x, ev.y, EB);
    r.dispatchesPerStep = fused.dispatchesPerStep;
    r.gpuBytes = fused.gpuBytes;
    return r;
  } finally {
    fused.dispose();
    fast.dispose();
  }
}

/**
 * n create / train one step / evaluate / dispose cycles: gpuBytes while alive, after dispose, the
 * page's live total, and whether the device reads as lost after dispose (the engine destroys a
 * device it created, never the caller's).
 */
async function cycles(
  n: number,
  shareDevice: boolean,
): Promise<{ alive: number[]; afterDispose: number[]; live: number[]; lostAfterDispose: boolean[] }> {
  const alive: number[] = [],
    afterDispose: number[] = [],
    live: number[] = [],
    lostAfterDispose: boolean[] = [];
  let device: GPUDevice | undefined;
  if (shareDevice) {
    const adapter = await navigator.gpu.requestAdapter();
    device = (await adapter?.requestDevice()) ?? undefined;
    if (!device) throw new Error('no WebGPU device');
  }
  for (let i = 0; i < n; i++) {
    const t = await createFusedWebgpuTrainer({ inputSize: 2, hiddenSize: 24, numClasses: 10, seed: i, optimizer: 'adam' }, device);
    const { x, y } = batch(i, 16, 20, 2, 10);
    await t.trainBatch(x, y, 16, 20, 2);
    await t.evaluate(x, y, 16, 20, 2);
    alive.push(t.gpuBytes);
    t.dispose();
    afterDispose.push(t.gpuBytes);
    live.push(fusedWebgpuLiveBytes());
    // device.lost settles asynchronously after destroy(): give it up to a second.
    for (let w = 0; w < 20 && !t.isLost(); w++) await new Promise((r) => setTimeout(r, 50));
    lostAfterDispose.push(t.isLost());
  }
  device?.destroy();
  return { alive, afterDispose, live, lostAfterDispose };
}

/**
 * A lost device: the engine on a caller's device that is then destroyed must report isLost() and
 * refuse to train with a message naming the loss; bad labels are refused by name before that.
 */
async function lostDevice(): Promise<{ badLabel: string; lost: boolean; trainError: string }> {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter?.requestDevice();
  if (!device) throw new Error('no WebGPU device');
  const t = await createFusedWebgpuTrainer({ inputSize: 1, hiddenSize: 8, numClasses: 10, seed: 1 }, device);
  const { x, y } = batch(1, 4, 5, 1, 10);
  let badLabel = '';
  try {
    await t.trainBatch(x, Int32Array.of(0, 1, 10, 2), 4, 5, 1);
  } catch (e) {
    badLabel = String(e);
  }
  await t.trainBatch(x, y, 4, 5, 1);
  device.destroy();
  await device.lost;
  let trainError = '';
  try {
    await t.trainBatch(x, y, 4, 5, 1);
  } catch (e) {
    trainError = String(e);
  }
  const lost = t.isLost();
  t.dispose();
  return { badLabel, lost, trainError };
}

/** Median ms per training step after `warmup` steps, and one evaluation (forward + readout) of the same batch (for reports; tests never assert on time). */
async function time(c: {
  D: number;
  N: number;
  T: number;
  B: number;
  warmup: number;
  reps: number;
  tuning?: FusedWebgpuTuning;
}): Promise<{ ms: number; evalMs: number; dispatchesPerStep: number; gpuBytes: number; adapter: string }> {
  const t = await createFusedWebgpuTrainer({
    inputSize: c.D,
    hiddenSize: c.N,
    numClasses: 10,
    seed: 1,
    optimizer: 'adam',
    tuning: c.tuning,
  });
  try {
    const { x, y } = batch(5, c.B, c.T, c.D, 10);
    for (let i = 0; i < c.warmup; i++) await t.trainBatch(x, y, c.B, c.T, c.D);
    const ms: number[] = [];
    for (let i = 0; i < c.reps; i++) {
      const t0 = performance.now();
      await t.trainBatch(x, y, c.B, c.T, c.D);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    const e0 = performance.now();
    await t.evaluate(x, y, c.B, c.T, c.D);
    const evalMs = performance.now() - e0;
    return { ms: ms[Math.floor(ms.length / 2)], evalMs, dispatchesPerStep: t.dispatchesPerStep, gpuBytes: t.gpuBytes, adapter: t.adapter };
  } finally {
    t.dispose();
  }
}

declare global {
  interface Window {
    __webgpuCheck?: {
      available: typeof webgpuAvailable;
      compare: typeof compare;
      cycles: typeof cycles;
      lostDevice: typeof lostDevice;
      time: typeof time;
    };
  }
}

window.__webgpuCheck = { available: webgpuAvailable, compare, cycles, lostDevice, time };
document.getElementById('out')!.textContent = 'ready: window.__webgpuCheck';
