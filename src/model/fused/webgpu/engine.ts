/**
 * fused-webgpu: the vanilla tanh RNN trained in WGSL compute shaders, with the semantics of FastRnn
 * (src/model/fast/engine.ts) and RnnModel: PyTorch names, initRnnWeights init (computed on the CPU,
 * uploaded once), CE at the last step with mean or sum reduction, SGD / Adam / RMSprop with FastRnn's
 * update formulas, global-norm clipping, bias on or off.
 *
 * Weights, gradients, optimiser state and the batch's hidden-state history live in GPU buffers for
 * the engine's life; a training step uploads x and labels, encodes one compute pass and reads back
 * 16 bytes (loss, correct). The pass (docs/gpu-engines.md, "fused-webgpu"):
 *   forward   ceil(T / forwardSteps) dispatches, each running many steps with h in workgroup memory
 *             (or T dispatches of one step when the state does not fit workgroup memory);
 *   readout   1 dispatch (logits, CE, dL/dz, fc gradients, dL/dh_T);
 *   backward  per chunk of S steps: 1 dispatch for the recurrence (or S single-step ones), then
 *             1 tiled split-K gemm for dW_hh, dW_ih and the biases over the chunk's S*B rows;
 *   finish    1 reduce of the split-K partials, 1 norm (only with clipping), 1 optimiser update.
 */
import {
  checkWeightsFor,
  type FlatParamLayout,
  flatParamLayout,
  initRnnWeights,
  packFlatWeights,
  type RnnTensorName,
  type RnnWeights,
  unpackFlatWeights,
} from '../../init';
import { expectedShapes } from '../../../core/formats/model';
import type { RnnModelOptions } from '../../rnn';
import { OptimizerFields, resolveModelOptions } from '../../modelOptions';
import type { Trainer } from '../../trainer';
import { type DeviceLossState, MAP_READ, probeAdapter, requestComputeDevice, STORAGE, UNIFORM, watchDeviceLoss } from './device';
import type { StorageBinding } from './bindings';
import {
  KERNEL_BINDINGS,
  backwardFusedWgsl,
  backwardStepWgsl,
  FLAG_GRAD,
  FLAG_KEEP,
  forwardFusedWgsl,
  forwardStepWgsl,
  gradGemmWgsl,
  gradNormWgsl,
  gradReduceWgsl,
  optimizerWgsl,
  readoutWgsl,
  writeParams,
  PARAMS_BYTES,
  type ParamsSlot,
  type ShaderDims,
} from './shaders';

/** Optional knobs of the engine's work split (defaults are chosen from N, B and the device limits). */
export interface FusedWebgpuTuning {
  /** Sequences per forward/backward workgroup (G): each W_hh value read serves G sequences. */
  batchPerWorkgroup?: number;
  /** Time steps per forward dispatch (watchdog bound); default from a 2^27 multiply-add budget per workgroup. */
  forwardSteps?: number;
  /** Time steps per backward chunk (bounds the dA buffer to S*B*N floats). */
  backwardChunk?: number;
  /** Threads of a forward/backward workgroup (default: N rounded up to 32, within the device limit); each owns ceil(N / width) units. */
  workgroupSize?: number;
  /** Force one dispatch per time step (the path used when the state does not fit workgroup memory). */
  stepKernels?: boolean;
}

/** RnnModel's options plus FastRnn's optimiser epsilon and the engine's tuning knobs. */
export type FusedWebgpuOptions = RnnModelOptions & { epsilon?: number; tuning?: FusedWebgpuTuning };

/** The Trainer of the fused-webgpu engine, with its GPU footprint and dispatch count. */
export interface FusedWebgpuTrainer extends Trainer {
  readonly engine: 'fused-webgpu';
  /** Compute dispatches encoded by the last training step (0 before the first). */
  readonly dispatchesPerStep: number;
  /** Bytes of GPU buffers this engine holds now (0 after dispose). */
  readonly gpuBytes: number;
  /** The adapter's description (vendor / architecture / device when the driver gives no description). */
  readonly adapter: string;
  /** True once the GPUDevice is lost (the engine then throws on every call). */
  isLost(): boolean;
  /** Destroys the engine's own device on purpose (rehearsal of a GPU reset); false for a caller's device. */
  loseContext(): boolean;
}

const BETA1 = 0.9,
  BETA2 = 0.999;
/** Multiply-adds one workgroup may run in one forward/backward dispatch (keeps each well under a watchdog). */
const MAC_BUDGET = 2 ** 27;

/** Bytes held by every live fused-webgpu engine of this page together (0 when all are disposed). */
let liveBytes = 0;
/** GPU bytes held by all fused-webgpu engines alive in this realm. */
export function fusedWebgpuLiveBytes(): number {
  return liveBytes;
}

/** Whether this browser gives a WebGPU adapter, and its description (or why not). */
export async function webgpuAvailable(): Promise<{ ok: true; adapter: string } | { ok: false; why: string }> {
  const probe = await probeAdapter();
  return probe.ok ? { ok: true, adapter: probe.info.adapter } : probe;
}

type Pipe = { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout };

class FusedWebgpuEngine extends OptimizerFields implements FusedWebgpuTrainer {
  readonly engine = 'fused-webgpu' as const;
  readonly adapter: string;
  dispatchesPerStep = 0;
  /** Largest training batch so far (bounds the evaluation chunks). */
  private trainB = 0;
  private readonly device: GPUDevice;
  private readonly ownsDevice: boolean;
  private readonly tuning: FusedWebgpuTuning;
  private readonly dims: ShaderDims;
  private readonly nParams: number;
  private readonly layout: FlatParamLayout;
  private readonly slotBytes: number;
  private readonly buffers = new Map<GPUBuffer, number>();
  private readonly pipes = new Map<string, Pipe>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly wts: GPUBuffer;
  private readonly opt: GPUBuffer;
  private params: GPUBuffer | null = null;
  private xs: GPUBuffer | null = null;
  private lbl: GPUBuffer | null = null;
  private hist: GPUBuffer | null = null;
  private dac: GPUBuffer | null = null;
  private work: GPUBuffer | null = null;
  private part: GPUBuffer | null = null;
  private readonly staging: GPUBuffer[] = [];
  private bindGroups = new Map<string, GPUBindGroup>();
  private accBeta1 = Math.fround(BETA1);
  private accBeta2 = Math.fround(BETA2);
  private readonly loss: DeviceLossState;
  private gpuError = '';
  private disposed = false;

  constructor(options: FusedWebgpuOptions, device: GPUDevice, ownsDevice: boolean, adapter: string) {
    const o = { ...options, ...resolveModelOptions(options) };
    super(o);
    this.tuning = o.tuning ?? {};
    this.device = device;
    this.ownsDevice = ownsDevice;
    this.adapter = adapter;
    const D = this.inputSize,
      N = this.hiddenSize,
      C = this.numClasses;
    this.dims = { N, D, C, hasBias: this.hasBias, optimizer: this.optimizer };
    const shapes = expectedShapes('rnn', D, N, C);
    const { layout, nParams } = flatParamLayout(shapes);
    this.layout = layout;
    this.nParams = nParams;
    this.slotBytes = Math.max(PARAMS_BYTES, device.limits.minUniformBufferOffsetAlignment);
    this.loss = watchDeviceLoss(device);
    device.addEventListener('uncapturederror', (e) => {
      if (!this.gpuError) this.gpuError = (e as GPUUncapturedErrorEvent).error.message;
    });
    this.wts = this.createBuffer((this.nParams + N * N) * 4, STORAGE);
    // Gradients and both optimiser slots start at zero (createBuffer zero-fills).
    this.opt = this.createBuffer(3 * this.nParams * 4, STORAGE);
    this.setWeights(initRnnWeights({ inputSize: D, hiddenSize: N, numClasses: C, init: o.init, gain: o.gain, seed: o.seed }));
  }

  get gpuBytes(): number {
    let s = 0;
    for (const b of this.buffers.values()) s += b;
    return s;
  }

  isLost(): boolean {
    return this.loss.isLost();
  }

  /**
   * Loses the device on purpose (rehearsal of a GPU reset): destroys it when the engine owns it, so
   * device.lost settles and isLost() turns true; false for a caller's device, which is not ours to end.
   */
  loseContext(): boolean {
    if (!this.ownsDevice) return false;
    this.device.destroy();
    return true;
  }

  private createBuffer(size: number, usage: number): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const b = this.device.createBuffer({ size: bytes, usage });
    this.buffers.set(b, bytes);
    liveBytes += bytes;
    return b;
  }

  private destroyBuffer(b: GPUBuffer | null): void {
    if (!b) return;
    const bytes = this.buffers.get(b);
    if (bytes === undefined) return;
    this.buffers.delete(b);
    liveBytes -= bytes;
    b.destroy();
  }

  /** Grows (never shrinks) `cur` to hold `bytes`; returns the buffer to use. */
  private grow(cur: GPUBuffer | null, bytes: number, usage = STORAGE): GPUBuffer {
    if (cur && cur.size >= bytes) return cur;
    this.destroyBuffer(cur);
    this.bindGroups.clear();
    return this.createBuffer(bytes, usage);
  }

  private check(): void {
    if (this.disposed) throw new Error('fused-webgpu engine used after dispose()');
    if (this.loss.isLost()) throw new Error(`WebGPU device lost (${this.loss.why()})`);
  }

  /**
   * Sequences per workgroup (G). One by default: the recurrences are bound by the latency of their
   * W_hh reads, not by how often W_hh is read, so more workgroups beat more reuse. On the H100
   * (bench webgpu_tuning rows, B = 64) G = 1 took 28.5 ms per step at T = 784, N = 512 against
   * 33.6 ms for G = 2 and 51.8 ms for G = 4, and 4.7 against 6.7 and 7.9 ms at N = 128.
   */
  private groupSize(B: number): number {
    const maxShared = this.device.limits.maxComputeWorkgroupStorageSize;
    let G = this.tuning.batchPerWorkgroup ?? 1;
    G = Math.max(1, Math.min(G, B));
    while (G > 1 && 2 * G * this.hiddenSize * 4 > maxShared) G--;
    return G;
  }

  /** Whether the recurrences run fused (state in workgroup memory) rather than one dispatch per step. */
  private fused(): boolean {
    return !this.tuning.stepKernels && 2 * this.hiddenSize * 4 <= this.device.limits.maxComputeWorkgroupStorageSize;
  }

  private workgroupWidth(): number {
    const l = this.device.limits;
    const cap = Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX, 1024);
    if (this.tuning.workgroupSize) return Math.max(1, Math.min(cap, this.tuning.workgroupSize));
    return Math.min(cap, Math.max(32, Math.ceil(this.hiddenSize / 32) * 32));
  }

  /**
   * The pipeline `key` (compiled once). Bindings 1.. are the kernel's storage buffers (shaders.ts
   * lists them); those declared `var<storage, read>` are 'read-only-storage' here, which lets the
   * driver load them through the read-only cache (the recurrences read W_hh every step).
   */
  private pipe(key: string, bindings: StorageBinding[], code: () => string): Pipe {
    let p = this.pipes.get(key);
    if (p) return p;
    // One layout per binding signature, so a bind group serves every pipeline with the same buffers.
    const sig = bindings.map(([, access]) => access).join(',');
    let layout = this.layouts.get(sig);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true } }];
      bindings.forEach(([, access], i) =>
        entries.push({ binding: i + 1, visibility: 4, buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' } }),
      );
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(sig, layout);
    }
    const module = this.device.createShaderModule({ code: code(), label: key });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    p = { pipeline, layout };
    this.pipes.set(key, p);
    return p;
  }

  private bindGroup(key: string, pipe: Pipe, bufs: GPUBuffer[]): GPUBindGroup {
    let bg = this.bindGroups.get(key);
    if (bg) return bg;
    bg = this.device.createBindGroup({
      layout: pipe.layout,
      entries: [
        { binding: 0, resource: { buffer: this.params!, size: PARAMS_BYTES } },
        ...bufs.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
      ],
    });
    this.bindGroups.set(key, bg);
    return bg;
  }

  /** Backward chunk length S for T steps with G sequences per workgroup. */
  private backwardChunk(T: number, G: number): number {
    const N = this.hiddenSize;
    const byMemory = Math.max(8, Math.ceil(T / 4));
    const byWatchdog = Math.max(1, Math.floor(MAC_BUDGET / (N * N * G)));
    return Math.max(1, Math.min(T, this.tuning.backwardChunk ?? Math.min(byMemory, byWatchdog)));
  }

  private forwardSteps(T: number, G: number): number {
    const N = this.hiddenSize;
    return Math.max(1, Math.min(T, this.tuning.forwardSteps ?? Math.max(1, Math.floor(MAC_BUDGET / (N * N * G)))));
  }

  /**
   * Split-K factor of the gradient gemm for a chunk of `chunk` steps of B sequences: about 512
   * workgroups, at least 64 rows each, and partials no larger than 1/8 of the B*T*N history.
   */
  private splits(B: number, T: number, chunk: number): number {
    const N = this.hiddenSize,
      KC = N + this.inputSize + 1;
    const tiles = Math.ceil(N / 64) * Math.ceil(KC / 64);
    const byMemory = Math.floor((B * T * N) / (8 * N * KC));
    return Math.max(1, Math.min(64, Math.ceil(512 / tiles), Math.floor((chunk * B) / 64), byMemory));
  }

  /** Sequences per workgroup, backward chunk length and split-K factor for B sequences of T steps. */
  private plan(B: number, T: number): { G: number; chunk: number; splits: number } {
    const G = this.groupSize(B);
    const chunk = this.backwardChunk(T, G);
    return { G, chunk, splits: this.splits(B, T, chunk) };
  }

  /** Sizes the batch buffers for B sequences of T steps (whole history when `keep`, else 2 slots). */
  private ensureBatch(B: number, T: number, keep: boolean, chunk: number, splits: number): void {
    const N = this.hiddenSize,
      D = this.inputSize,
      C = this.numClasses;
    this.xs = this.grow(this.xs, B * T * D * 4);
    this.lbl = this.grow(this.lbl, B * 4);
    this.hist = this.grow(this.hist, (keep ? T + 1 : 2) * B * N * 4);
    this.work = this.grow(this.work, (4 + 2 * B * N + 2 * B * C) * 4);
    if (keep) {
      this.dac = this.grow(this.dac, chunk * B * N * 4);
      this.part = this.grow(this.part, splits * N * (N + D + 1) * 4);
    }
    const limit = this.device.limits.maxStorageBufferBindingSize;
    for (const b of [this.xs, this.hist, this.dac, this.part]) {
      if (b && b.size > limit) {
        throw new RangeError(
          `fused-webgpu: a ${(b.size / 2 ** 20).toFixed(0)} MB buffer exceeds this device's storage binding limit of ${(limit / 2 ** 20).toFixed(0)} MB (B=${B}, T=${T}, N=${N})`,
        );
      }
    }
  }

  private nextStaging(): GPUBuffer {
    return this.staging.pop() ?? this.createBuffer(16, MAP_READ);
  }

  /** Validates x and labels like FastRnn; returns T. */
  private checkBatch(x: ArrayLike<number>, labels: ArrayLike<number>, B: number, T: number, D: number): void {
    this.check();
    if (!(Number.isInteger(B) && B >= 1)) throw new RangeError(`batch size ${B} must be a positive integer`);
    if (D !== this.inputSize) throw new RangeError(`input has D = ${D}, the model expects ${this.inputSize}`);
    if (!(Number.isInteger(T) && T >= 1)) throw new RangeError(`T = ${T} must be a positive integer`);
    if (x.length < B * T * D) throw new RangeError(`input has ${x.length} values, needs B*T*D = ${B * T * D}`);
    if (labels.length < B) throw new RangeError(`${labels.length} labels for a batch of ${B}`);
    for (let b = 0; b < B; b++) {
      const y = labels[b];
      if (!(Number.isInteger(y) && y >= 0 && y < this.numClasses))
        throw new RangeError(`label ${y} of sample ${b} is not in 0..${this.numClasses - 1}`);
    }
  }

  private upload(x: ArrayLike<number>, labels: ArrayLike<number>, B: number, T: number, D: number): void {
    const n = B * T * D;
    const xf = x instanceof Float32Array ? x : Float32Array.from(Array.prototype.slice.call(x, 0, n) as number[]);
    this.device.queue.writeBuffer(this.xs!, 0, xf.buffer, xf.byteOffset, n * 4);
    const lab = new Uint32Array(B);
    for (let b = 0; b < B; b++) lab[b] = labels[b];
    this.device.queue.writeBuffer(this.lbl!, 0, lab);
  }

  /**
   * Encodes forward (+ readout, + backward, gradients and update when `train`) for the uploaded batch
   * into one compute pass, the stats copy into `staging`, and submits. Returns the dispatch count.
   */
  private encodeStep(B: number, T: number, train: boolean, staging: GPUBuffer): number {
    const slots: ParamsSlot[] = [];
    const keep = train;
    const flags = (keep ? FLAG_KEEP : 0) | (train ? FLAG_GRAD : 0);
    const fused = this.fused();
    const WG = this.workgroupWidth();
    const { G, chunk, splits } = this.plan(B, T);
    const N = this.hiddenSize,
      D = this.inputSize;
    type Cmd = { pipe: Pipe; key: string; bufs: GPUBuffer[]; grid: [number, number, number]; slot: number };
    const cmds: Cmd[] = [];
    const add = (pipe: Pipe, key: string, bufs: GPUBuffer[], grid: [number, number, number], s: ParamsSlot) => {
      slots.push(s);
      cmds.push({ pipe, key, bufs, grid, slot: slots.length - 1 });
    };
    const flat = (n: number): [number, number, number] => {
      const groups = Math.max(1, Math.ceil(n / 256));
      const x = Math.min(groups, this.device.limits.maxComputeWorkgroupsPerDimension);
      return [x, Math.ceil(groups / x), 1];
    };
    const d = this.dims;
    const xs = this.xs!,
      hist = this.hist!,
      work = this.work!,
      wts = this.wts,
      opt = this.opt;
    // Forward.
    if (fused) {
      const fw = this.pipe(`fwd:${G}:${WG}`, KERNEL_BINDINGS.forward, () => forwardFusedWgsl(d, G, WG));
      const S = this.forwardSteps(T, G);
      for (let t0 = 0; t0 < T; t0 += S)
        add(fw, 'fwd', [wts, xs, hist], [Math.ceil(B / G), 1, 1], { B, T, t0, t1: Math.min(T, t0 + S), flags });
    } else {
      const fw = this.pipe('fwdStep', KERNEL_BINDINGS.forward, () => forwardStepWgsl(d));
      for (let t = 1; t <= T; t++) add(fw, 'fwdStep', [wts, xs, hist], flat(B * N), { B, T, t0: t - 1, t1: t, flags });
    }
    const scale = this.reduction === 'mean' ? 1 / B : 1;
    const ro = this.pipe('readout', KERNEL_BINDINGS.readout, () => readoutWgsl(d));
    add(ro, 'readout', [wts, opt, hist, this.lbl!, work], [1, 1, 1], { B, T, t0: 0, t1: 0, flags, scale: train ? scale : 1 });
    if (train) {
      const dac = this.dac!,
        part = this.part!;
      const gemm = this.pipe('gemm', KERNEL_BINDINGS.gemm, () => gradGemmWgsl(d));
      const gemmGrid = (): [number, number, number] => [Math.ceil(N / 64), Math.ceil((N + D + 1) / 64), splits];
      let first = 1;
      for (let t1 = T; t1 > 0; t1 -= chunk) {
        const t0 = Math.max(0, t1 - chunk);
        if (fused) {
          const bw = this.pipe(`bwd:${G}:${WG}`, KERNEL_BINDINGS.backward, () => backwardFusedWgsl(d, G, WG));
          add(bw, 'bwd', [wts, hist, dac, work], [Math.ceil(B / G), 1, 1], { B, T, t0, t1, cbase: t0, flags });
        } else {
          const bw = this.pipe('bwdStep', KERNEL_BINDINGS.backward, () => backwardStepWgsl(d));
          for (let t = t1; t > t0; t--) add(bw, 'bwdStep', [wts, hist, dac, work], flat(B * N), { B, T, t0: T, t1: t, cbase: t0, flags });
        }
        add(gemm, 'gemm', [hist, xs, dac, part], gemmGrid(), { B, T, t0, t1, cbase: t0, rows: (t1 - t0) * B, first, splits, flags });
        first = 0;
      }
      const red = this.pipe('reduce', KERNEL_BINDINGS.reduce, () => gradReduceWgsl(d));
      add(red, 'reduce', [part, opt], flat(N * (N + D + 1)), { B, T, t0: 0, t1: 0, splits });
      if (this.clip > 0) {
        const nm = this.pipe('norm', KERNEL_BINDINGS.norm, () => gradNormWgsl(d));
        add(nm, 'norm', [opt, work], [1, 1, 1], { B, T, t0: 0, t1: 0 });
      }
      const f = Math.fround;
      const op = this.pipe('optimizer', KERNEL_BINDINGS.optimizer, () => optimizerWgsl(d));
      add(op, 'optimizer', [wts, opt, work], flat(this.nParams), {
        B,
        T,
        t0: 0,
        t1: 0,
        lr: this.lr,
        eps: this.epsilon,
        clip: this.clip,
        c1: f(1 - this.accBeta1),
        c2: f(1 - this.accBeta2),
      });
    }
    // One upload of every dispatch's parameters, then one pass.
    this.params = this.grow(this.params, slots.length * this.slotBytes, UNIFORM);
    const data = new ArrayBuffer(slots.length * this.slotBytes);
    const view = new DataView(data);
    slots.forEach((s, i) => writeParams(view, i * this.slotBytes, s));
    this.device.queue.writeBuffer(this.params, 0, data);
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    let current: GPUComputePipeline | null = null;
    for (const c of cmds) {
      if (c.pipe.pipeline !== current) {
        pass.setPipeline(c.pipe.pipeline);
        current = c.pipe.pipeline;
      }
      const bg = this.bindGroup(`${c.key}`, c.pipe, c.bufs);
      pass.setBindGroup(0, bg, [c.slot * this.slotBytes]);
      pass.dispatchWorkgroups(c.grid[0], c.grid[1], c.grid[2]);
    }
    pass.end();
    enc.copyBufferToBuffer(work, 0, staging, 0, 16);
    this.device.queue.submit([enc.finish()]);
    return cmds.length;
  }

  /** Maps `staging`, returns its 4 floats (loss, correct, squared norm, -) and puts it back in the pool. */
  private async readStats(staging: GPUBuffer): Promise<Float32Array> {
    try {
      await staging.mapAsync(1);
    } catch (e) {
      this.destroyBuffer(staging);
      if (this.loss.isLost()) throw new Error(`WebGPU device lost (${this.loss.why()})`);
      throw e;
    }
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    if (this.disposed) this.destroyBuffer(staging);
    else this.staging.push(staging);
    if (this.gpuError) throw new Error(`WebGPU error in the fused engine: ${this.gpuError}`);
    return out;
  }

  async trainBatch(x: Float32Array, labels: Int32Array, B: number, T: number, D: number): Promise<{ loss: number; correct: number }> {
    this.checkBatch(x, labels, B, T, D);
    const staging = this.nextStaging();
    const { chunk, splits } = this.plan(B, T);
    this.ensureBatch(B, T, true, chunk, splits);
    this.trainB = Math.max(this.trainB, B);
    this.upload(x, labels, B, T, D);
    this.dispatchesPerStep = this.encodeStep(B, T, true, staging);
    if (this.optimizer === 'adam') {
      this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(BETA1));
      this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(BETA2));
    }
    const s = await this.readStats(staging);
    return { loss: s[0], correct: Math.round(s[1]) };
  }

  async evaluate(x: Float32Array, labels: Int32Array, B: number, T: number, D: number): Promise<{ loss: number; acc: number }> {
    this.checkBatch(x, labels, B, T, D);
    // Chunks no larger than the largest training batch (or 64): evaluation keeps only 2 history
    // slots, so it then fits in the buffers training already holds.
    const E = Math.min(B, Math.max(64, this.trainB));
    const per = T * D;
    const reads: Promise<Float32Array>[] = [];
    for (let start = 0; start < B; start += E) {
      const size = Math.min(E, B - start);
      this.ensureBatch(size, T, false, 1, 1);
      this.upload(x.subarray(start * per, (start + size) * per), labels.subarray(start, start + size), size, T, D);
      const staging = this.nextStaging();
      this.encodeStep(size, T, false, staging);
      reads.push(this.readStats(staging));
    }
    let ceSum = 0,
      correct = 0;
    for (const s of await Promise.all(reads)) {
      ceSum += s[0];
      correct += Math.round(s[1]);
    }
    return { loss: ceSum / B, acc: correct / B };
  }

  async getWeights(): Promise<RnnWeights> {
    this.check();
    const bytes = this.nParams * 4;
    const staging = this.createBuffer(bytes, MAP_READ);
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.wts, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    this.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(1);
      const all = new Float32Array(staging.getMappedRange(0, staging.size).slice(0));
      staging.unmap();
      return unpackFlatWeights(this.layout, all);
    } catch (e) {
      if (this.loss.isLost()) throw new Error(`WebGPU device lost (${this.loss.why()})`);
      throw e;
    } finally {
      this.destroyBuffer(staging);
    }
  }

  /** Overwrites the parameters (and W_hh^T) with FastRnn's checks; optimiser state is kept. */
  setWeights(weights: Record<RnnTensorName, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    this.check();
    checkWeightsFor(weights, (n) => this.layout[n].shape, this.hasBias);
    const N = this.hiddenSize;
    const all = new Float32Array(this.nParams + N * N);
    packFlatWeights(this.layout, weights, all);
    const whh = this.layout.weight_hh_l0.off;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) all[this.nParams + j * N + i] = all[whh + i * N + j];
    this.device.queue.writeBuffer(this.wts, 0, all);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of [...this.buffers.keys()]) this.destroyBuffer(b);
    this.staging.length = 0;
    this.bindGroups.clear();
    this.pipes.clear();
    this.layouts.clear();
    this.params = this.xs = this.lbl = this.hist = this.dac = this.work = this.part = null;
    if (this.ownsDevice) this.device.destroy();
  }
}

/**
 * Creates the fused-webgpu trainer: on `device` when given (the caller keeps it), else on a new
 * device of the high-performance adapter with that adapter's buffer and workgroup limits (destroyed
 * by dispose()). Options as RnnModelOptions (+ epsilon and tuning); same seeded init as every engine.
 */
export async function createFusedWebgpuTrainer(options: FusedWebgpuOptions, device?: GPUDevice): Promise<FusedWebgpuTrainer> {
  if (device) return new FusedWebgpuEngine(options, device, false, 'caller-provided device');
  const { device: own, info } = await requestComputeDevice();
  try {
    return new FusedWebgpuEngine(options, own, true, info.adapter);
  } catch (e) {
    own.destroy();
    throw e;
  }
}
