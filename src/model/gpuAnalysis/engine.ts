/**
 * The GPU analysis engine (WebGPU compute, float32): one epoch's flip jobs, single-pixel map and QR
 * iteration for a vanilla tanh RNN, each batched over thousands of sequences (design and measured
 * tolerances: docs/gpu-engines.md "GPU analysis engine", docs/method.md "GPU analysis precision").
 *
 * A GpuProbeSet holds one epoch's weights and probes on the device: the base trajectories are
 * computed once on the GPU (traj, deriv); a flip job is replayed from its first flipped step from
 * the cached base state, exactly what the CPU's cached evaluator (core/sensitivity/evaluator.ts)
 * does, and gives its logits (float32, read back; cross-entropies are then taken in float64).
 * GRU and LSTM are not implemented here: callers fall back to the CPU for them (gpuArchSupported).
 */
import type { ModelWeights } from '../../core/formats/model';
import type { PackedJobs } from '../../core/analysis/epochParts';
import { checkProbeInputs, writeInputDrives } from '../../core/sensitivity/evaluator';
import { flipBindings, flipWgsl, QR_BINDINGS, qrWgsl } from './shaders';
import type { StorageBinding } from '../fused/webgpu/bindings';
import {
  type GpuAdapterInfo,
  MAP_READ,
  probeAdapter,
  requestComputeDevice,
  STORAGE,
  UNIFORM,
  watchDeviceLoss,
} from '../fused/webgpu/device';

export { type GpuAdapterInfo, isSoftwareAdapter } from '../fused/webgpu/device';

/** Thrown by every GPU call once the device is lost (the caller re-runs the epoch on the CPU). */
export class GpuDeviceLostError extends Error {
  constructor(why: string) {
    super(`WebGPU device lost (${why})`);
    this.name = 'GpuDeviceLostError';
  }
}

/** Architectures this engine runs on the GPU (others fall back to the CPU float64 path). */
export function gpuArchSupported(arch: ModelWeights['arch']): boolean {
  return arch === 'rnn';
}

/** The analysis engine's device: adapter identity, loss state, and a way to lose it on purpose (tests). */
export interface GpuAnalysisDevice extends GpuAdapterInfo {
  readonly device: GPUDevice;
  isLost(): boolean;
  /** Why it was lost ('' while alive). */
  lostWhy(): string;
  /** Resolves when the device is lost (never otherwise). */
  readonly lost: Promise<void>;
  /** device.destroy(): a rehearsal of a GPU reset; the device is then lost. */
  destroy(): void;
}

/** Which adapter this browser gives, without keeping a device (null where WebGPU is missing). */
export async function probeGpuAdapter(): Promise<GpuAdapterInfo | null> {
  const probe = await probeAdapter();
  return probe.ok ? probe.info : null;
}

/** Requests a device with the adapter's own storage and workgroup limits. Throws where WebGPU is missing. */
export async function requestAnalysisDevice(): Promise<GpuAnalysisDevice> {
  const { device, info } = await requestComputeDevice((l) => ({
    maxStorageBuffersPerShaderStage: Math.min(10, l.maxStorageBuffersPerShaderStage),
  }));
  const loss = watchDeviceLoss(device);
  return {
    ...info,
    device,
    isLost: loss.isLost,
    lostWhy: loss.why,
    lost: loss.lost,
    destroy: () => device.destroy(),
  };
}

/** Result of the GPU QR iteration over all probes. */
export interface GpuQrResult {
  B: number;
  T: number;
  k: number;
  N: number;
  /** ln r [B][T][k], ln per step (float32 values widened). */
  lnR: Float64Array;
  /** Q_T per probe, vector-major [B][k][N]. */
  qFinal: Float64Array;
  /** Q_t at each requested step t (0 = Q_0), [B][k][N] vector-major. */
  qAt: Map<number, Float64Array>;
}

/** One epoch's weights and probes on the device (rnn). */
export interface GpuProbeSet {
  readonly B: number;
  readonly T: number;
  readonly D: number;
  readonly N: number;
  readonly C: number;
  /** Labels [B]. */
  readonly labels: Int32Array;
  /** Logits of the unflipped probes [B][C] and their cross-entropies [B] (nats, float64 from f32 logits). */
  readonly baseLogits: Float64Array;
  readonly baseLoss: Float64Array;
  /** Logits [M][C] of packed jobs (probe indices 0..B-1 of this set), in job order. */
  logits(jobs: PackedJobs): Promise<Float64Array>;
  /** Last-step cross-entropies [M] (nats) of packed jobs, in job order. */
  losses(jobs: PackedJobs): Promise<Float64Array>;
  /** The QR iteration with k tracked vectors, keeping Q at the listed steps (0..T). */
  qr(k: number, keepQAt?: number[]): Promise<GpuQrResult>;
  /** Frees the set's buffers (the device stays). */
  dispose(): void;
}

/** Optional work split (defaults from N and the device): tests use them to reach several units per thread at small N. */
export interface GpuAnalysisTuning {
  /** Threads per workgroup of the flip and QR kernels (a power of two: the QR's reduction halves it). */
  threads?: number;
  /** Jobs per flip workgroup (lanes sharing each W_hh read). */
  lanes?: number;
}

/** Lanes (jobs per workgroup) and threads of the flip kernel for hidden size N. */
function flipShape(N: number, maxThreads: number): { G: number; WG: number } {
  const WG = Math.min(maxThreads, 256, Math.max(32, Math.ceil(N / 32) * 32));
  return { G: 8, WG };
}

/** Upper bound of multiply-adds per flip dispatch (watchdog: a few hundred ms on a slow GPU). */
const DISPATCH_MACS = 2e9;

/** Cross-entropy (nats) of logits z[o..o+C) at label y, float64. */
export function crossEntropy(z: ArrayLike<number>, o: number, C: number, y: number): number {
  let mx = -Infinity;
  for (let c = 0; c < C; c++) mx = Math.max(mx, z[o + c]);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(z[o + c] - mx);
  return mx + Math.log(s) - z[o + y];
}

/**
 * Uploads one epoch: weights (rnn, PyTorch layout), inputs [B][T][D], labels [B]; h_0 = 0. Computes
 * the input drives in float64 on the CPU (B T N D multiply-adds each), the base trajectories on
 * the GPU, and reads back the base logits. Throws GpuDeviceLostError when the device is lost.
 */
export async function createGpuProbeSet(
  dev: GpuAnalysisDevice,
  weights: ModelWeights,
  inputs: ArrayLike<number>,
  labels: ArrayLike<number>,
  B: number,
  T: number,
  D: number,
  tuning: GpuAnalysisTuning = {},
): Promise<GpuProbeSet> {
  if (!gpuArchSupported(weights.arch)) throw new RangeError(`the GPU analysis engine runs rnn only, not ${weights.arch}`);
  const { hiddenSize: N, numClasses: C } = weights;
  checkProbeInputs(weights, inputs, B, T, D);
  const device = dev.device;
  const check = () => {
    if (dev.isLost()) throw new GpuDeviceLostError(dev.lostWhy());
  };
  check();
  const t = weights.tensors;
  const wts = new Float32Array(N * N + C * N + C);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) wts[j * N + i] = t.weight_hh_l0[i * N + j];
  wts.set(t['fc.weight'], N * N);
  wts.set(t['fc.bias'], N * N + C * N);
  const drive = new Float32Array(B * T * N);
  const fdrive = new Float32Array(B * T * N);
  writeInputDrives(weights, inputs, B * T, drive, fdrive);
  const owned: GPUBuffer[] = [];
  const buffer = (bytes: number, usage = STORAGE): GPUBuffer => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
    owned.push(b);
    return b;
  };
  const upload = (data: ArrayBufferView & { byteLength: number }, usage = STORAGE): GPUBuffer => {
    const b = buffer(data.byteLength, usage);
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const free = (b: GPUBuffer) => {
    const i = owned.indexOf(b);
    if (i >= 0) owned.splice(i, 1);
    b.destroy();
  };
  const wtsBuf = upload(wts);
  const driveBuf = upload(drive);
  const fdriveBuf = upload(fdrive);
  const trajBuf = buffer(B * (T + 1) * N * 4); // zero-filled: slot 0 = h_0 = 0
  const derivBuf = buffer(B * (T + 1) * N * 4);

  const maxThreads = device.limits.maxComputeInvocationsPerWorkgroup;
  const shape = flipShape(N, maxThreads);
  const G = tuning.lanes ?? shape.G;
  const WG = tuning.threads ?? shape.WG;
  const pipelines = new Map<string, GPUComputePipeline>();
  const layouts = new Map<string, GPUBindGroupLayout>();
  /** Explicit layouts (a uniform, then the kernel's storage list): 'auto' would drop a binding a variant leaves unused. */
  const pipeline = (key: string, bindings: StorageBinding[], code: () => string): GPUComputePipeline => {
    let p = pipelines.get(key);
    if (!p) {
      const layout = device.createBindGroupLayout({
        entries: [
          { binding: 0, visibility: 4, buffer: { type: 'uniform' } },
          ...bindings.map(([, access], i) => ({
            binding: i + 1,
            visibility: 4, // GPUShaderStage.COMPUTE
            buffer: { type: access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
          })),
        ],
      });
      layouts.set(key, layout);
      p = device.createComputePipeline({
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module: device.createShaderModule({ code: code() }), entryPoint: 'main' },
      });
      pipelines.set(key, p);
    }
    return p;
  };
  const layoutOf = (key: string) => layouts.get(key)!;

  /** Pops the validation scope pushed before a pipeline's dispatches: a WGSL or binding error is a bug, thrown here. */
  const validated = async () => {
    const err = await device.popErrorScope();
    if (err) throw new Error(`GPU analysis engine: ${err.message}`);
  };

  /** Reads `bytes` of `src` back as float32, failing fast when the device is lost meanwhile. */
  const readBack = async (src: GPUBuffer, bytes: number): Promise<Float32Array> => {
    const staging = buffer(bytes, MAP_READ);
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    device.queue.submit([enc.finish()]);
    try {
      await Promise.race([staging.mapAsync(1), dev.lost.then(() => Promise.reject(new GpuDeviceLostError(dev.lostWhy())))]);
    } catch (e) {
      free(staging);
      check();
      throw e;
    }
    const out = new Float32Array(staging.getMappedRange().slice(0, bytes));
    staging.unmap();
    free(staging);
    return out;
  };

  /**
   * Runs jobs (sorted internally by probe, then first step) through the flip kernel; `record`
   * runs the base pass (jobs = probes, no flips). Returns logits [M][C] in the caller's order.
   */
  const runJobs = async (jobs: PackedJobs, record: boolean): Promise<Float64Array> => {
    check();
    const M = jobs.probe.length;
    if (M === 0) return new Float64Array(0);
    const t0 = new Int32Array(M);
    for (let m = 0; m < M; m++) {
      let first = T;
      for (let s = jobs.start[m]; s < jobs.start[m + 1]; s++) first = Math.min(first, jobs.steps[s]);
      // The base pass starts every probe at step 0 (its jobs flip nothing).
      t0[m] = record ? 0 : first;
    }
    const order = Array.from({ length: M }, (_, m) => m).sort((a, b) => jobs.probe[a] - jobs.probe[b] || t0[a] - t0[b]);
    const jobWords = new Uint32Array(4 * M);
    const steps = new Uint32Array(Math.max(1, jobs.steps.length));
    let at = 0;
    order.forEach((m, r) => {
      const list = Array.from(jobs.steps.subarray(jobs.start[m], jobs.start[m + 1])).sort((a, b) => a - b);
      jobWords[4 * r] = jobs.probe[m];
      jobWords[4 * r + 1] = t0[m];
      jobWords[4 * r + 2] = at;
      steps.set(list, at);
      at += list.length;
      jobWords[4 * r + 3] = at;
    });
    device.pushErrorScope('validation');
    const jobsBuf = upload(jobWords);
    const stepsBuf = upload(steps);
    const outBuf = buffer(M * C * 4);
    const key = record ? 'record' : 'flip';
    const pipe = pipeline(key, flipBindings(record), () => flipWgsl(N, C, G, WG, record));
    const bind = (params: GPUBuffer) =>
      device.createBindGroup({
        layout: layoutOf(key),
        entries: [params, wtsBuf, driveBuf, fdriveBuf, trajBuf, derivBuf, jobsBuf, stepsBuf, outBuf].map((b, i) => ({
          binding: i,
          resource: { buffer: b },
        })),
      });
    // Chunks of whole workgroups, each under DISPATCH_MACS, each its own submission.
    const uniforms: GPUBuffer[] = [];
    let base = 0;
    while (base < M) {
      let end = base;
      let macs = 0;
      while (end < M && (end === base || macs < DISPATCH_MACS)) {
        const groupEnd = Math.min(M, end + G);
        macs += (T - t0[order[end]]) * N * N * G;
        end = groupEnd;
      }
      const count = end - base;
      const params = upload(new Uint32Array([count, base, T, B]), UNIFORM);
      uniforms.push(params);
      const groups = Math.ceil(count / G);
      const gx = Math.min(groups, 65535);
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bind(params));
      pass.dispatchWorkgroups(gx, Math.ceil(groups / gx));
      pass.end();
      device.queue.submit([enc.finish()]);
      base = end;
    }
    await validated();
    const z = await readBack(outBuf, M * C * 4);
    for (const b of [jobsBuf, stepsBuf, outBuf, ...uniforms]) free(b);
    const out = new Float64Array(M * C);
    order.forEach((m, r) => {
      for (let c = 0; c < C; c++) out[m * C + c] = z[r * C + c];
    });
    return out;
  };

  const baseJobs: PackedJobs = {
    probe: Int32Array.from({ length: B }, (_, b) => b),
    start: new Int32Array(B + 1),
    steps: new Int32Array(0),
  };
  const baseLogits = await runJobs(baseJobs, true);
  const baseLoss = Float64Array.from({ length: B }, (_, b) => crossEntropy(baseLogits, b * C, C, labels[b]));

  const logits = (jobs: PackedJobs) => runJobs(jobs, false);
  const losses = async (jobs: PackedJobs) => {
    const z = await runJobs(jobs, false);
    return Float64Array.from({ length: jobs.probe.length }, (_, m) => crossEntropy(z, m * C, C, labels[jobs.probe[m]]));
  };

  const qr = async (k: number, keepQAt: number[] = []): Promise<GpuQrResult> => {
    check();
    if (!(Number.isInteger(k) && k >= 1 && k <= N)) throw new RangeError(`qr: k = ${k} must be an integer in 1..${N}`);
    const steps = [...new Set(keepQAt.filter((s) => s >= 0 && s <= T))].sort((a, b) => a - b);
    if (!steps.includes(T)) steps.push(T);
    const keep = new Int32Array(T + 1).fill(-1);
    steps.forEach((s, i) => (keep[s] = i));
    const WGq = tuning.threads ?? Math.min(maxThreads, 256);
    device.pushErrorScope('validation');
    const pipe = pipeline(`qr${k}`, QR_BINDINGS, () => qrWgsl(N, k, WGq));
    const params = upload(new Uint32Array([T, steps.length, 0, 0]), UNIFORM);
    const qBuf = buffer(B * k * N * 4);
    const vBuf = buffer(B * k * N * 4);
    const lnrBuf = buffer(B * T * k * 4);
    const qatBuf = buffer(B * steps.length * k * N * 4);
    const keepBuf = upload(keep);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: layoutOf(`qr${k}`),
        entries: [params, wtsBuf, derivBuf, qBuf, vBuf, lnrBuf, qatBuf, keepBuf].map((b, i) => ({ binding: i, resource: { buffer: b } })),
      }),
    );
    pass.dispatchWorkgroups(B);
    pass.end();
    device.queue.submit([enc.finish()]);
    await validated();
    const lnR = Float64Array.from(await readBack(lnrBuf, B * T * k * 4));
    const qat = await readBack(qatBuf, B * steps.length * k * N * 4);
    for (const b of [params, qBuf, vBuf, lnrBuf, qatBuf, keepBuf]) free(b);
    const qAt = new Map<number, Float64Array>();
    steps.forEach((s, i) => {
      const q = new Float64Array(B * k * N);
      for (let b = 0; b < B; b++) q.set(qat.subarray((b * steps.length + i) * k * N, (b * steps.length + i + 1) * k * N), b * k * N);
      qAt.set(s, q);
    });
    return { B, T, k, N, lnR, qFinal: qAt.get(T)!, qAt };
  };
  return {
    B,
    T,
    D,
    N,
    C,
    labels: Int32Array.from(labels),
    baseLogits,
    baseLoss,
    logits,
    losses,
    qr,
    dispose() {
      for (const b of owned.splice(0)) b.destroy();
    },
  };
}
