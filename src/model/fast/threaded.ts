/**
 * The hand-written engine on W threads: each training batch is split into W contiguous row
 * ranges; thread 0 (the caller's own FastRnn, which also owns the optimiser) and W - 1 helper
 * workers (each with its own FastRnn and kernel instance) run forward + BPTT of their rows with
 * dL/dz scaled for the WHOLE batch; the gradient blocks are summed in thread order
 * (((G_0 + G_1) + G_2) + ...) in float32, and the optimiser steps once on the sum. A run is
 * therefore bit-for-bit reproducible for a given W, and W = 1 is FastRnn exactly; for W > 1 only
 * the order of the float32 batch sums differs from FastRnn. Every thread's FastRnn flushes its
 * deltas and gradients below 2^-100 (docs/method.md "Subnormal flush"), and the summed block is
 * flushed again before the update (applyGradientBlock).
 *
 * Transport: plain postMessage with copies (the helper's rows and the current parameters out,
 * its gradient block back; ~4 bytes x (nParams + rows T D) per helper per step: 70 KB at N = 128,
 * 1 MB at N = 512, against steps of milliseconds to seconds). Shared memory would save those
 * copies but needs cross-origin isolation (COOP/COEP), which static hosts do not give; copies
 * work everywhere Workers do. `crossOriginIsolated` is reported for the badge all the same.
 */
import type { RnnModelOptions } from '../rnn';
import type { Trainer } from '../trainer';
import { FastRnn } from './engine';
import { createJsTrainingKernels, type TrainingKernels } from './kernels';
import { createWasmTrainingKernels } from './wasmKernels';

/** Main -> helper messages. */
export type HelperCommand =
  | { type: 'init'; options: RnnModelOptions; wasm: ArrayBuffer | null }
  /** Rows x [B][T][D] and labels [B] of the helper's share; dL/dz scaled by `scale`; parameters [nParams]. */
  | { type: 'step'; id: number; params: Float32Array; x: Float32Array; labels: Int32Array; B: number; scale: number };

/** Helper -> main messages. */
export type HelperEvent =
  | { type: 'ready'; kernels: TrainingKernels['kind'] }
  /** Gradient block [nParams] of the helper's rows, their summed CE (unscaled) and correct count. */
  | { type: 'grad'; id: number; grad: Float32Array; ceSum: number; correct: number }
  | { type: 'error'; id: number; message: string };

/** A helper worker as the trainer sees it (a DOM Worker, or worker_threads in Node). */
export interface HelperPort {
  post(cmd: HelperCommand, transfer?: Transferable[]): void;
  onMessage(handler: (ev: HelperEvent) => void): void;
  terminate(): void;
}

/**
 * The helper's side: a message handler that keeps one FastRnn (own kernels) and answers 'step'
 * with its gradient block. The worker entry files (threaded.worker.ts, threadedNode.ts) wire it up.
 */
export function helperHandler(post: (ev: HelperEvent, transfer?: Transferable[]) => void): (cmd: HelperCommand) => Promise<void> {
  let model: FastRnn | null = null;
  return async (cmd) => {
    if (cmd.type === 'init') {
      try {
        const kernels = cmd.wasm ? await createWasmTrainingKernels(cmd.wasm) : createJsTrainingKernels();
        model = new FastRnn(cmd.options, kernels);
        post({ type: 'ready', kernels: kernels.kind });
      } catch (e) {
        post({ type: 'error', id: -1, message: (e as Error).message });
      }
      return;
    }
    try {
      if (!model) throw new Error('helper used before init');
      model.setParameterBlock(cmd.params);
      const r = model.subBatchGradients(cmd.x, cmd.labels, cmd.B, cmd.scale);
      const grad = model.gradientView().slice();
      post({ type: 'grad', id: cmd.id, grad, ceSum: r.ceSum, correct: r.correct }, [grad.buffer]);
    } catch (e) {
      post({ type: 'error', id: cmd.id, message: (e as Error).message });
    }
  };
}

/** Rows [start, end) of thread w of W for a batch of B (contiguous, sizes differ by at most one). */
export function threadRows(B: number, W: number, w: number): [number, number] {
  return [Math.floor((w * B) / W), Math.floor(((w + 1) * B) / W)];
}

/**
 * Sums gradient blocks into `into` in the given order, in float32: into = ((into + g_1) + g_2) + ...
 * The order is the only thing that decides the rounding: fixed order, reproducible sum.
 */
export function reduceGradients(into: Float32Array, blocks: Float32Array[]): void {
  for (const g of blocks) {
    if (g.length !== into.length) throw new RangeError(`gradient block has ${g.length} floats, expected ${into.length}`);
    for (let i = 0; i < into.length; i++) into[i] += g[i];
  }
}

/** A Trainer on W threads, with what the badge tooltip shows. */
export interface ThreadedTrainer extends Trainer {
  /** Threads that train (1 = FastRnn alone). */
  readonly threads: number;
  /** Whether the page is cross-origin isolated (informational: the transport does not need it). */
  readonly crossOriginIsolated: boolean;
  /** Why fewer threads than asked train, when that happens. */
  readonly note?: string;
}

/** The browser's helper: a module worker bundled by Vite. */
function browserHelper(): HelperPort {
  const w = new Worker(new URL('./threaded.worker.ts', import.meta.url), { type: 'module', name: 'ftle-fast-thread' });
  return {
    post: (cmd, transfer) => w.postMessage(cmd, transfer ?? []),
    onMessage: (h) => {
      w.onmessage = (e: MessageEvent<HelperEvent>) => h(e.data);
    },
    terminate: () => w.terminate(),
  };
}

export interface ThreadedFastEnv {
  /** fast_rnn.wasm bytes for every thread's kernels (null or absent: the pure-JS kernels). */
  wasm?: ArrayBuffer | null;
  /** Starts one helper (default: a module Worker; Node passes worker_threads, threadedNode.ts). */
  spawn?: () => HelperPort;
}

/**
 * The hand-written engine on `threads` threads (see the top of this file) behind the Trainer
 * interface. Resolves once every helper has its kernels. Falls back to one thread (note says
 * why) where Workers are missing or a helper fails to start. evaluate() runs on thread 0.
 */
export async function createThreadedFastTrainer(
  options: RnnModelOptions,
  threads: number,
  env: ThreadedFastEnv = {},
): Promise<ThreadedTrainer> {
  const wasm = env.wasm ?? null;
  const kernels = wasm ? await createWasmTrainingKernels(wasm.slice(0)) : createJsTrainingKernels();
  const model = new FastRnn(options, kernels);
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  let W = Math.max(1, Math.floor(threads));
  let note: string | undefined;
  const helpers: HelperPort[] = [];
  const spawn = env.spawn ?? (typeof Worker !== 'undefined' ? browserHelper : null);
  if (W > 1 && !spawn) {
    note = `${W} threads asked, 1 used: this context cannot start Workers`;
    W = 1;
  }
  // Each helper's pending step: resolved by its 'grad' (or rejected by 'error').
  const pending: Array<{ resolve: (ev: Extract<HelperEvent, { type: 'grad' }>) => void; reject: (e: Error) => void } | null> = [];
  if (W > 1 && spawn) {
    try {
      await Promise.all(
        Array.from({ length: W - 1 }, (_, i) => {
          const port = spawn();
          helpers.push(port);
          pending.push(null);
          return new Promise<void>((resolve, reject) => {
            port.onMessage((ev) => {
              if (ev.type === 'ready') resolve();
              else if (ev.type === 'error' && ev.id < 0) {
                // Start-up failure, or the thread died: fail whatever waits on it.
                reject(new Error(ev.message));
                pending[i]?.reject(new Error(`training thread ${i + 1} stopped: ${ev.message}`));
                pending[i] = null;
              } else {
                const p = pending[i];
                pending[i] = null;
                if (ev.type === 'grad') p?.resolve(ev);
                else p?.reject(new Error(`training thread ${i + 1}: ${ev.message}`));
              }
            });
            port.post({ type: 'init', options, wasm: wasm ? wasm.slice(0) : null });
          });
        }),
      );
    } catch (e) {
      for (const h of helpers) h.terminate();
      helpers.length = 0;
      note = `${W} threads asked, 1 used: a training thread failed to start (${(e as Error).message})`;
      W = 1;
    }
  }
  let nextId = 1;
  let disposed = false;
  const trainer: ThreadedTrainer = {
    engine: 'fast',
    reduction: model.reduction,
    threads: W,
    crossOriginIsolated: isolated,
    ...(note ? { note } : {}),
    async trainBatch(x, labels, B, T, D) {
      if (W === 1 || B < W) return model.trainStep(x.subarray(0, B * T * D), labels, B);
      const scale = model.reduction === 'mean' ? 1 / B : 1;
      const params = model.parameterView().slice();
      const id = nextId++;
      const replies = helpers.map((port, i) => {
        const [r0, r1] = threadRows(B, W, i + 1);
        const xs = x.slice(r0 * T * D, r1 * T * D);
        const ys = labels.slice(r0, r1);
        const ps = params.slice();
        return new Promise<Extract<HelperEvent, { type: 'grad' }>>((resolve, reject) => {
          pending[i] = { resolve, reject };
          port.post({ type: 'step', id, params: ps, x: xs, labels: ys, B: r1 - r0, scale }, [xs.buffer, ys.buffer, ps.buffer]);
        });
      });
      const [r0, r1] = threadRows(B, W, 0);
      const own = model.subBatchGradients(x.subarray(r0 * T * D, r1 * T * D), labels.subarray(r0, r1), r1 - r0, scale);
      const got = await Promise.all(replies);
      if (disposed) throw new Error('threaded trainer disposed during a step');
      reduceGradients(
        model.gradientView(),
        got.map((g) => g.grad),
      );
      model.applyGradientBlock();
      let ceSum = own.ceSum;
      let correct = own.correct;
      for (const g of got) {
        ceSum += g.ceSum;
        correct += g.correct;
      }
      return { loss: ceSum * scale, correct };
    },
    async evaluate(x, labels, B, T, D) {
      // FastRnn infers T from x.length: a last, smaller batch arrives in a buffer sized for the full one.
      return model.evaluate(x.subarray(0, B * T * D), labels, B, 250);
    },
    getWeights: async () => model.getWeights(),
    setWeights: (w) => model.setWeights(w),
    dispose() {
      disposed = true;
      for (const h of helpers) h.terminate();
      model.dispose();
    },
  };
  return trainer;
}
