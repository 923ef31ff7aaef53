/**
 * The GPU-engine check page (engine-check.html): functions on window.__engineCheck that the browser
 * tests (test/e2e/fused-webgl.e2e.ts) call through page.evaluate. Each trains the fused-webgl
 * engine and the hand-written FastRnn (pure-JS kernels, the reference) side by side from the same
 * init on the same seeded batches and returns the raw differences; the tests own the tolerances.
 */
import { FastRnn } from '../model/fast/engine';
import { createThreadedFastTrainer } from '../model/fast/threaded';
import { createJsTrainingKernels } from '../model/fast/kernels';
import { FusedWebglRnn, fusedWebglSupport } from '../model/fused/webgl/engine';
import { liveGlBytes } from '../model/fused/webgl/gl';
import { RNN_TENSOR_NAMES, type RnnTensorName, type RnnWeights } from '../model/init';
import type { OptimizerName, Reduction } from '../model/rnn';
import { createRng } from '../core/rng';
import { benchModelOptions, benchTrainer } from './trainBench';
import { createFusedWebglTrainer } from '../model/fused/webgl/engine';

/** One side-by-side run: model options plus the batch geometry and number of steps. */
export interface CheckConfig {
  optimizer: OptimizerName;
  bias: boolean;
  clip: number;
  reduction: Reduction;
  init?: 'xavier' | 'orthogonal';
  gain?: number;
  lr: number;
  D: number;
  T: number;
  N: number;
  B: number;
  C?: number;
  steps: number;
  seed: number;
  /** The last step trains on this many sequences (fewer than B: the epoch's short last batch). */
  lastB?: number;
  /** FusedWebglOptions.textureLimit (small: multi-row tile grids). */
  textureLimit?: number;
}

type PerTensor = Record<RnnTensorName, number>;

/** What a side-by-side run measured (all differences fused - FastRnn, max abs over a tensor). */
export interface CheckResult {
  renderer: string;
  initDiff: PerTensor;
  lossFast: number[];
  lossFused: number[];
  correctFast: number[];
  correctFused: number[];
  /** Gradients of the last step: max |fused - fast| and max |fast| per tensor. */
  gradDiff: PerTensor;
  gradScale: PerTensor;
  /** Weights after the last step: max |fused - fast| and how far FastRnn moved them from the init. */
  weightDiff: PerTensor;
  weightMove: PerTensor;
  evalFast: { loss: number; acc: number };
  evalFused: { loss: number; acc: number };
  drawsPerStep: number;
  gpuBytes: number;
}

function maxAbsDiff(a: RnnWeights, b: RnnWeights): PerTensor {
  const out = {} as PerTensor;
  for (const n of RNN_TENSOR_NAMES) {
    let m = 0;
    a[n].data.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[n].data[i]))));
    out[n] = m;
  }
  return out;
}

function maxAbs(a: RnnWeights): PerTensor {
  const out = {} as PerTensor;
  for (const n of RNN_TENSOR_NAMES) out[n] = a[n].data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return out;
}

function optionsOf(c: CheckConfig) {
  return {
    inputSize: c.D,
    hiddenSize: c.N,
    numClasses: c.C ?? 10,
    seed: c.seed,
    optimizer: c.optimizer,
    bias: c.bias,
    clip: c.clip,
    reduction: c.reduction,
    lr: c.lr,
    init: c.init ?? 'xavier',
    gain: c.gain ?? 1,
  } as const;
}

/** Trains both engines `c.steps` steps on seeded batches, then compares gradients, weights and an evaluation. */
async function compare(
  c: CheckConfig,
  weights?: Record<RnnTensorName, { shape: number[]; data: number[] }>,
  batches?: { x: number[]; y: number[] }[],
): Promise<CheckResult> {
  const opts = optionsOf(c);
  const fast = new FastRnn(opts, createJsTrainingKernels());
  const fused = await FusedWebglRnn.create({ ...opts, textureLimit: c.textureLimit });
  try {
    if (weights) {
      fast.setWeights(weights);
      fused.setWeights(weights);
    }
    const w0 = fast.getWeights();
    const initDiff = maxAbsDiff(await fused.getWeights(), w0);
    const rng = createRng(c.seed + 1000);
    const C = c.C ?? 10;
    const r: Pick<CheckResult, 'lossFast' | 'lossFused' | 'correctFast' | 'correctFused'> = {
      lossFast: [],
      lossFused: [],
      correctFast: [],
      correctFused: [],
    };
    for (let s = 0; s < c.steps; s++) {
      const B = s === c.steps - 1 && c.lastB ? c.lastB : c.B;
      const x = batches ? Float32Array.from(batches[s].x) : Float32Array.from({ length: B * c.T * c.D }, () => rng.next());
      const y = batches ? Int32Array.from(batches[s].y) : Int32Array.from({ length: B }, () => rng.int(C));
      const f = fast.trainStep(x, y, B);
      const g = await fused.trainStep(x, y, B);
      r.lossFast.push(f.loss);
      r.lossFused.push(g.loss);
      r.correctFast.push(f.correct);
      r.correctFused.push(g.correct);
    }
    const gf = fast.getGradients();
    const wf = fast.getWeights();
    const ev = {
      x: Float32Array.from({ length: 2 * c.B * c.T * c.D }, () => rng.next()),
      y: Int32Array.from({ length: 2 * c.B }, () => rng.int(C)),
    };
    return {
      renderer: fused.renderer,
      initDiff,
      ...r,
      gradDiff: maxAbsDiff(await fused.getGradients(), gf),
      gradScale: maxAbs(gf),
      weightDiff: maxAbsDiff(await fused.getWeights(), wf),
      weightMove: maxAbsDiff(wf, w0),
      evalFast: fast.evaluate(ev.x, ev.y, 2 * c.B, c.B),
      evalFused: await fused.evaluate(ev.x, ev.y, 2 * c.B),
      drawsPerStep: fused.drawsPerStep,
      gpuBytes: fused.gpuBytes,
    };
  } finally {
    fast.dispose();
    fused.dispose();
  }
}

/** A float64 fixture (ftle-lab.model/v1 + probe): its weights, one step on its sequences (h0 = 0). */
async function fixture(
  model: {
    input_size: number;
    hidden_size: number;
    num_classes: number;
    tensors: Record<RnnTensorName, { shape: number[]; data: number[] }>;
  },
  probe: { inputs: number[][][]; labels: number[] },
  c: Pick<CheckConfig, 'optimizer' | 'reduction' | 'lr' | 'clip'>,
): Promise<CheckResult> {
  const B = probe.labels.length,
    T = probe.inputs[0].length;
  return compare(
    { ...c, bias: true, D: model.input_size, N: model.hidden_size, C: model.num_classes, T, B, steps: 1, seed: 0 },
    model.tensors,
    [{ x: probe.inputs.flat(2), y: probe.labels }],
  );
}

/** n create / train-one-step / dispose cycles: gpuBytes while alive, after dispose, and all live bytes after each. */
async function cycles(n: number, c: CheckConfig): Promise<{ alive: number[]; afterDispose: number[]; liveAfter: number[] }> {
  const alive: number[] = [],
    afterDispose: number[] = [],
    liveAfter: number[] = [];
  const rng = createRng(c.seed);
  const x = Float32Array.from({ length: c.B * c.T * c.D }, () => rng.next());
  const y = Int32Array.from({ length: c.B }, () => rng.int(10));
  for (let i = 0; i < n; i++) {
    const e = await FusedWebglRnn.create(optionsOf(c));
    await e.trainStep(x, y, c.B);
    await e.getWeights();
    alive.push(e.gpuBytes);
    e.dispose();
    afterDispose.push(e.gpuBytes);
    liveAfter.push(liveGlBytes());
  }
  return { alive, afterDispose, liveAfter };
}

/**
 * Context loss and refusal: an engine on a page-made context that is then lost on purpose
 * (WEBGL_lose_context) must say so and refuse to train; a context without float32 render targets
 * (EXT_color_buffer_float hidden by a proxy) must be refused with a clear message.
 */
async function contextChecks(): Promise<{ lostBefore: boolean; lostAfter: boolean; trainError: string; refusal: string }> {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) throw new Error('no WebGL2 context on this page');
  const e = await FusedWebglRnn.create({ inputSize: 2, hiddenSize: 8, seed: 1 }, gl);
  const x = new Float32Array(3 * 5 * 2).fill(0.5),
    y = Int32Array.of(1, 2, 3);
  await e.trainStep(x, y, 3);
  const lostBefore = e.isLost();
  gl.getExtension('WEBGL_lose_context')!.loseContext();
  const lostAfter = e.isLost();
  let trainError = '';
  try {
    await e.trainStep(x, y, 3);
  } catch (err) {
    trainError = `${(err as Error).name}: ${(err as Error).message}`;
  }
  e.dispose();
  const other = document.createElement('canvas').getContext('webgl2')!;
  const noFloat = new Proxy(other, {
    get(target, key) {
      if (key === 'getExtension') return (name: string) => (name === 'EXT_color_buffer_float' ? null : target.getExtension(name));
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  let refusal = '';
  try {
    (await FusedWebglRnn.create({ inputSize: 2, hiddenSize: 8, seed: 1 }, noFloat)).dispose();
  } catch (err) {
    refusal = (err as Error).message;
  }
  return { lostBefore, lostAfter, trainError, refusal };
}

/**
 * The engine inside a dedicated worker (OffscreenCanvas context): `steps` seeded batches trained
 * there and by FastRnn here; returns both loss sequences.
 */
async function inWorker(c: CheckConfig): Promise<{ lossFast: number[]; lossWorker: number[]; renderer: string }> {
  const opts = optionsOf(c);
  const rng = createRng(c.seed + 2000);
  const batches = Array.from({ length: c.steps }, () => ({
    x: Float32Array.from({ length: c.B * c.T * c.D }, () => rng.next()),
    y: Int32Array.from({ length: c.B }, () => rng.int(c.C ?? 10)),
  }));
  const fast = new FastRnn(opts, createJsTrainingKernels());
  const lossFast = batches.map((b) => fast.trainStep(b.x, b.y, c.B).loss);
  fast.dispose();
  const worker = new Worker(new URL('./engineCheck.worker.ts', import.meta.url), { type: 'module' });
  try {
    const reply = await new Promise<{ losses?: number[]; renderer?: string; error?: string }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ options: opts, batches, B: c.B, T: c.T, D: c.D });
    });
    if (reply.error !== undefined) throw new Error(`worker: ${reply.error}`);
    return { lossFast, lossWorker: reply.losses ?? [], renderer: reply.renderer ?? '' };
  } finally {
    worker.terminate();
  }
}

/** Whether this browser can run the engine (fusedWebglSupport), then whether one really trains a step. */
async function available(): Promise<string> {
  const support = fusedWebglSupport();
  if (!support.ok) return support.reason;
  try {
    const e = await FusedWebglRnn.create({ inputSize: 1, hiddenSize: 4, seed: 1 });
    await e.trainStep(Float32Array.of(0.5, 0.25), Int32Array.of(3), 1);
    e.dispose();
    return `ok: ${support.renderer}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A bench row of the fused-webgl engine (batch 64, Adam) for T steps of D inputs and N units. */
const time = async (T: number, D: number, N: number, warmup: number, reps: number) => {
  const c = { T, D, N, B: 64 };
  const trainer = await createFusedWebglTrainer(benchModelOptions(c));
  return benchTrainer('fused-webgl', trainer, c, warmup, reps, 'chromium', trainer.renderer);
};

/** What threaded() measured (see there). */
export interface ThreadedCheck {
  threads: number;
  note: string;
  repeatIdentical: boolean;
  lossThreaded: number[];
  lossFast: number[];
  maxWhhDiff: number;
}

/**
 * The threaded hand-written engine (threaded.ts) on W Web Worker threads, twice from the same
 * seed, and FastRnn (pure-JS kernels) on the same batches: losses per step, whether the two
 * threaded runs agree bit for bit, the largest |W_hh| difference to FastRnn, and the threads used.
 */
async function threaded(W: number, steps = 3): Promise<ThreadedCheck> {
  const opts = { inputSize: 4, hiddenSize: 16, seed: 7, optimizer: 'adam' as const, lr: 0.01, clip: 1 };
  const B = 12,
    T = 10,
    D = 4;
  const rng = createRng(99);
  const batches = Array.from({ length: steps }, () => ({
    x: Float32Array.from({ length: B * T * D }, () => rng.next()),
    y: Int32Array.from({ length: B }, () => rng.int(10)),
  }));
  const runs: { losses: number[]; whh: Float32Array }[] = [];
  let threads = 0;
  let note = '';
  for (let r = 0; r < 2; r++) {
    const tr = await createThreadedFastTrainer(opts, W);
    threads = tr.threads;
    note = tr.note ?? '';
    const losses: number[] = [];
    for (const b of batches) losses.push((await tr.trainBatch(b.x, b.y, B, T, D)).loss);
    runs.push({ losses, whh: (await tr.getWeights()).weight_hh_l0.data as Float32Array });
    tr.dispose();
  }
  const fast = new FastRnn(opts, createJsTrainingKernels());
  const lossFast = batches.map((b) => fast.trainStep(b.x, b.y, B).loss);
  const whh = fast.getWeights().weight_hh_l0.data;
  let maxWhhDiff = 0;
  for (let i = 0; i < whh.length; i++) maxWhhDiff = Math.max(maxWhhDiff, Math.abs(runs[0].whh[i] - whh[i]));
  const repeatIdentical =
    runs[0].losses.every((v, i) => Object.is(v, runs[1].losses[i])) && runs[0].whh.every((v, i) => Object.is(v, runs[1].whh[i]));
  return { threads, note, repeatIdentical, lossThreaded: runs[0].losses, lossFast, maxWhhDiff };
}

const api = { compare, fixture, cycles, time, available, contextChecks, inWorker, liveGlBytes, threaded };
export type EngineCheckApi = typeof api;

declare global {
  interface Window {
    __engineCheck?: EngineCheckApi;
  }
}

window.__engineCheck = api;
document.getElementById('out')!.textContent = 'ready';
