/**
 * The engine registry: every training engine id (core/engines.ts) -> how to tell whether it runs
 * here, how to build a trainer, what to fall back to, and how a lost GPU context shows. The
 * training worker asks this module which engine to use (chooseEngine), builds trainers through it
 * (createTrainer), asks it after the first epoch whether another engine is now faster
 * (recheckEngine) and to recover from a lost context (recoverEngine).
 *
 * Entries that need no browser (fast-wasm from given bytes, fast-js, tfjs-cpu) are built here so
 * Node tests use the real engines; the browser entries (tfjs webgl/wasm, fetching the kernels)
 * are in model/browserEngines.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EngineChoice, EngineId, EngineInfo } from '../core/engines';
import type { ThreadsChoice } from '../core/formats/config';
import type { Arch } from '../core/formats/model';
import { encodeImages, type SequenceSpec } from '../data/encodings';
import type { MnistSplit } from '../data/mnistAsset';
import type { RnnWeights } from './init';
import type { RnnModelOptions } from './rnn';
import { fastTrainer, tfjsTrainer, type Trainer } from './trainer';
import { createJsTrainingKernels, type TrainingKernels } from './fast/kernels';
import { createWasmTrainingKernels } from './fast/wasmKernels';
import { wasmSimdAvailable } from '../core/kernels/wasm';
import { createThreadedFastTrainer, type HelperPort } from './fast/threaded';
import { describeTimings, timeEngines, type TimingBatch, type TimingOptions, type EngineTiming } from './engineTiming';

/** Whether an engine runs here: its info for the badge, or why not. */
export type Availability = { ok: true; info: EngineInfo } | { ok: false; why: string };

/**
 * One engine. The fused GPU engines are two more entries of this shape (added where the registry
 * is assembled, model/browserEngines.ts):
 *   'fused-webgpu': { id, gpu: true, fallback: ['fused-webgl', 'tfjs-webgl', 'fast-wasm'],
 *     available: webgpuAvailable() + adapter string   (src/model/fused/webgpu/),
 *     create: (o) => createFusedWebgpuTrainer(o) }
 *   'fused-webgl':  { id, gpu: true, fallback: ['tfjs-webgl', 'fast-wasm'],
 *     available: a WebGL2 context that renders float32 + renderer string   (src/model/fused/webgl/),
 *     create: (o) => createFusedWebglTrainer(o) }
 * Their trainers report isLost() / gpuBytes / drawsPerStep | dispatchesPerStep themselves; the
 * registry needs no `lost` hook for them.
 */
export interface EngineEntry {
  id: EngineId;
  /** Runs on a GPU (WebGL / WebGPU): skipped by `auto` on a software renderer. */
  gpu: boolean;
  /**
   * The recurrent cells this engine trains (absent: all of them). The fused GPU engines train the
   * vanilla RNN only (FUSED_CELLS): for a GRU/LSTM run they are skipped like an unavailable
   * engine, with CELL_REFUSAL as the reason the badge shows.
   */
  cells?: readonly Arch[];
  /** Engines to try, in order, when this one is unavailable (or its context cannot be rebuilt). */
  fallback: readonly EngineId[];
  /** Initialises what the engine needs (tfjs backend, context, kernels) and says whether it runs. */
  available(): Promise<Availability>;
  /**
   * Trains on several threads when asked (the hand-written engine, `threads=`): create's `threads`
   * is then honoured, and auto's thread count is timed (chooseThreads). Others ignore `threads`.
   */
  threaded?: boolean;
  /**
   * A trainer with fresh seeded weights on `threads` threads (default 1; a threaded entry's trainer
   * reports the count it got in Trainer.threads); call after available() said ok.
   */
  create(opts: RnnModelOptions, threads?: number): Promise<Trainer>;
  /** For engines whose trainers have no isLost(): whether their shared context is lost (tfjs-webgl). */
  lost?(): boolean;
  /** Loses the shared context on purpose (rehearsals), false when there is none. */
  loseContext?(): boolean;
  /** Drops a dead shared context so that available() can make a new one (tfjs-webgl). */
  reset?(): Promise<void>;
}

export type EngineRegistry = Partial<Record<EngineId, EngineEntry>>;

/**
 * `auto`'s candidates in order of preference (ties go to the earlier one). tfjs-wasm and tfjs-cpu
 * run on the same CPU as fast-wasm with per-op overhead on top (5-20x slower, docs/performance.md),
 * so they are never candidates; fast-js stands in for fast-wasm without SIMD.
 */
export const AUTO_CANDIDATES: readonly (readonly EngineId[])[] = [
  ['fused-webgpu'],
  ['fused-webgl'],
  ['tfjs-webgl'],
  ['fast-wasm', 'fast-js'],
];

/** WebGL renderers / WebGPU adapters that are CPU rasterisers (headless Chromium, VMs, blocklists). */
export const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** What the fused GPU engines train, and why a gated run falls back from them (the badge's reason). */
export const FUSED_CELLS: readonly Arch[] = ['rnn'];
export const CELL_REFUSAL = 'fused engines train the vanilla RNN only';

/** Why `entry` cannot train `cell`, or null when it can. */
export function cellRefusal(entry: EngineEntry, cell: Arch): string | null {
  return entry.cells && !entry.cells.includes(cell)
    ? entry.cells === FUSED_CELLS
      ? CELL_REFUSAL
      : `${entry.id} trains ${entry.cells.join(', ')} only`
    : null;
}

/** After the first epoch `auto` switches only to an engine at least this much faster (no flapping). */
export const SWITCH_MARGIN = 0.8;

/**
 * A fresh seeded trainer of engine `id` with the run's model options (run/options.ts resolves them
 * once per run) on `threads` threads (chooseThreads' count; the engine must have said it is available).
 */
export function buildModel(registry: EngineRegistry, id: EngineId, opts: RnnModelOptions, threads = 1): Promise<Trainer> {
  const entry = registry[id];
  if (!entry) throw new Error(`engine ${id} is not in this build`);
  return entry.create(opts, threads);
}

/** Threads a trainer trains on (1 unless it is the threaded hand-written engine on more). */
export function trainerThreads(trainer: Trainer): number {
  return trainer.threads ?? 1;
}

/** Why a threaded trainer got fewer threads than asked (ThreadedTrainer.note), if it did. */
export function trainerThreadsNote(trainer: Trainer): string | undefined {
  return (trainer as { note?: string }).note;
}

/** A module's bytes as an ArrayBuffer of their own (the threaded trainer copies one to each thread). */
function ownBuffer(src: BufferSource): ArrayBuffer {
  if (src instanceof ArrayBuffer) return src;
  return src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength) as ArrayBuffer;
}

/** The hand-written engine's kernels: WASM SIMD from `loadWasm` (the module's bytes), else plain JS with the reason. */
export async function fastKernels(
  loadWasm: () => Promise<BufferSource>,
): Promise<{ kernels: TrainingKernels; simd: boolean; why?: string }> {
  if (!wasmSimdAvailable()) return { kernels: createJsTrainingKernels(), simd: false, why: 'WebAssembly SIMD is not available' };
  try {
    return { kernels: await createWasmTrainingKernels(await loadWasm()), simd: true };
  } catch (e) {
    return { kernels: createJsTrainingKernels(), simd: false, why: `the WASM kernels did not load (${(e as Error).message})` };
  }
}

/** Badge info of the hand-written engine. */
export function fastInfo(simd: boolean, why?: string): EngineInfo {
  return simd
    ? {
        engine: 'fast-wasm',
        renderer: 'FTLE Lab fast engine (hand-written BPTT, WASM SIMD)',
        floatPrecision: 32,
        ...(why ? { fallbackReason: why } : {}),
      }
    : {
        engine: 'fast-js',
        renderer: 'FTLE Lab fast engine (hand-written BPTT, JS)',
        floatPrecision: 32,
        ...(why ? { fallbackReason: why } : {}),
      };
}

/**
 * The hand-written engine's two entries. Every trainer gets its own kernel instance (a FastRnn
 * owns its kernels' heap, so two live trainers must not share one); the module bytes are loaded once.
 * On W > 1 threads a trainer is the threaded engine (model/fast/threaded.ts): W - 1 helpers
 * started by `env.spawn` (default: module Web Workers; Node passes threadedNode.ts's worker_threads),
 * terminated by its dispose(). W = 1 is the single-threaded FastRnn, exactly as before.
 */
export function fastEngineEntries(
  loadWasm: () => Promise<BufferSource>,
  env: { spawn?: () => HelperPort } = {},
): Pick<Required<EngineRegistry>, 'fast-wasm' | 'fast-js'> {
  let bytes: Promise<BufferSource> | null = null;
  const load = () => (bytes ??= loadWasm());
  return {
    'fast-wasm': {
      id: 'fast-wasm',
      gpu: false,
      fallback: ['fast-js'],
      async available() {
        const k = await fastKernels(load);
        if (!k.simd) {
          bytes = null;
          return { ok: false, why: k.why ?? 'WebAssembly SIMD is not available' };
        }
        return { ok: true, info: fastInfo(true) };
      },
      threaded: true,
      create: async (o, threads = 1) =>
        threads > 1
          ? createThreadedFastTrainer(o, threads, { wasm: ownBuffer(await load()), spawn: env.spawn })
          : fastTrainer(o, await createWasmTrainingKernels(await load())),
    },
    'fast-js': {
      id: 'fast-js',
      gpu: false,
      fallback: [],
      available: async () => ({ ok: true, info: fastInfo(false) }),
      threaded: true,
      create: async (o, threads = 1) =>
        threads > 1 ? createThreadedFastTrainer(o, threads, { wasm: null, spawn: env.spawn }) : fastTrainer(o, createJsTrainingKernels()),
    },
  };
}

/**
 * A tfjs engine: `start` makes its tfjs backend the active one (tf.setBackend, which every tfjs
 * trainer then uses) and describes it, or throws saying why it cannot.
 */
export function tfjsEngineEntry(
  id: 'tfjs-webgl' | 'tfjs-wasm' | 'tfjs-cpu',
  start: () => Promise<{ renderer: string; floatPrecision: 32 | 16 }>,
  hooks: Pick<EngineEntry, 'lost' | 'loseContext' | 'reset'> & { fallback?: readonly EngineId[] } = {},
): EngineEntry {
  return {
    id,
    gpu: id === 'tfjs-webgl',
    fallback: hooks.fallback ?? (id === 'tfjs-webgl' ? ['tfjs-wasm', 'tfjs-cpu'] : id === 'tfjs-wasm' ? ['tfjs-cpu'] : []),
    async available() {
      try {
        const s = await start();
        if (s.floatPrecision < 32) return { ok: false, why: `${id} computes in float${s.floatPrecision} (below float32)` };
        return { ok: true, info: { engine: id, renderer: s.renderer, floatPrecision: s.floatPrecision } };
      } catch (e) {
        return { ok: false, why: (e as Error).message };
      }
    },
    async create(o) {
      // Another engine may have switched the global tfjs backend since available().
      if (tf.getBackend() !== id.slice(5)) await start();
      return tfjsTrainer(o);
    },
    ...hooks,
  };
}

/** tfjs on its cpu backend (works everywhere tfjs-backend-cpu is imported, Node included). */
export function tfjsCpuStart(): Promise<{ renderer: string; floatPrecision: 32 }> {
  return tf.setBackend('cpu').then((ok) => {
    if (!ok || tf.getBackend() !== 'cpu') throw new Error("setBackend('cpu') failed");
    return { renderer: 'JavaScript (tfjs cpu)', floatPrecision: 32 as const };
  });
}

/**
 * The engine `id`, or down its fallback chain (each failure's reason kept, in order). An engine
 * that does not train `cell` (EngineEntry.cells) counts as unavailable.
 */
export async function openEngine(
  registry: EngineRegistry,
  id: EngineId,
  cell: Arch = 'rnn',
): Promise<{ entry: EngineEntry; info: EngineInfo }> {
  const reasons: string[] = [];
  const queue: EngineId[] = [id];
  const seen = new Set<EngineId>();
  while (queue.length) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const entry = registry[next];
    if (!entry) {
      reasons.push(`${next}: not in this build`);
      // Its usual fallbacks still apply (a fused engine not built in falls back like one that failed).
      queue.push(...(DEFAULT_FALLBACK[next] ?? []));
      continue;
    }
    const refusal = cellRefusal(entry, cell);
    const a: Availability = refusal ? { ok: false, why: refusal } : await entry.available();
    if (a.ok) return { entry, info: reasons.length ? { ...a.info, fallbackReason: reasons.join('; ') } : a.info };
    reasons.push(`${next}: ${a.why}`);
    queue.push(...entry.fallback);
  }
  throw new Error(`no engine could be started (${reasons.join('; ')})`);
}

/** Fallbacks of engines that may be missing from a registry (the fused engines before they are added). */
const DEFAULT_FALLBACK: Partial<Record<EngineId, readonly EngineId[]>> = {
  'fused-webgpu': ['fused-webgl', 'tfjs-webgl', 'fast-wasm'],
  'fused-webgl': ['tfjs-webgl', 'fast-wasm'],
  'fast-wasm': ['fast-js'],
};

/** The engine chosen for a run, with what the badge shows. */
export interface EngineChoiceResult {
  entry: EngineEntry;
  info: EngineInfo;
  /** auto: each candidate's steady-state timing or why it was dropped. */
  timings?: EngineTiming[];
}

/** A representative batch of the run (the first B training digits, encoded). */
export type ChoiceBatch = TimingBatch;

/** Available auto candidates (first available member of each AUTO_CANDIDATES group) and why others are out. */
async function autoCandidates(
  registry: EngineRegistry,
  cell: Arch,
): Promise<{ open: { entry: EngineEntry; info: EngineInfo }[]; skipped: string[] }> {
  const open: { entry: EngineEntry; info: EngineInfo }[] = [];
  const skipped: string[] = [];
  for (const group of AUTO_CANDIDATES) {
    for (const id of group) {
      const entry = registry[id];
      if (!entry) {
        skipped.push(`${id} not in this build`);
        continue;
      }
      const refusal = cellRefusal(entry, cell);
      if (refusal) {
        skipped.push(`${id}: ${refusal}`);
        continue;
      }
      const a = await entry.available();
      if (!a.ok) skipped.push(`${id} unavailable (${a.why})`);
      else if (a.info.floatPrecision < 32) skipped.push(`${id} renders below float32`);
      else if (entry.gpu && SOFTWARE_RENDERER.test(a.info.renderer)) {
        // A software rasteriser runs the GPU engines far slower than the CPU engine (docs/performance.md).
        skipped.push(`${id} on a software renderer (${a.info.renderer}) not timed`);
      } else {
        open.push({ entry, info: a.info });
        break;
      }
    }
  }
  return { open, skipped };
}

/**
 * Picks the engine for a run. An explicit id: that engine, else down its fallback chain (the
 * reason in fallbackReason). `auto`: every available candidate (AUTO_CANDIDATES, never a context
 * below float32, no GPU engine on a software renderer) is timed at steady state on `batch`
 * (model/engineTiming.ts) and the fastest kept; with a single candidate nothing is timed.
 */
export async function chooseEngine(
  registry: EngineRegistry,
  choice: EngineChoice,
  opts: RnnModelOptions,
  batch: ChoiceBatch,
  timing: TimingOptions = {},
): Promise<EngineChoiceResult> {
  const cell = opts.cell ?? 'rnn';
  if (choice !== 'auto') return openEngine(registry, choice, cell);
  const { open, skipped } = await autoCandidates(registry, cell);
  if (!open.length) throw new Error(`no engine could be started (${skipped.join('; ')})`);
  if (open.length === 1) {
    const note = `auto: ${open[0].info.engine}, the only candidate${skipped.length ? ` (${skipped.join('; ')})` : ''}`;
    return { entry: open[0].entry, info: { ...open[0].info, note } };
  }
  const r = await timeEngines(
    open.map(({ entry }) => ({ id: entry.id, create: () => entry.create(opts) })),
    batch,
    timing,
  );
  const chosen = open.find((c) => c.entry.id === r.best)!;
  // The last timed engine may have moved tfjs's global backend: make the chosen one current again.
  await chosen.entry.available();
  const note = `auto: ${describeTimings(r.timings)}${skipped.length ? `; ${skipped.join('; ')}` : ''}`;
  return { entry: chosen.entry, info: { ...chosen.info, note }, timings: r.timings };
}

/**
 * `auto`'s re-check after the first epoch: the current engine's epoch median (a true steady
 * state) against fresh timings of the other candidates. Returns the engine to switch to when one
 * is at least 1/SWITCH_MARGIN times faster, else null. The caller swaps trainers (swapTrainer).
 */
export async function recheckEngine(
  registry: EngineRegistry,
  current: EngineId,
  currentMsPerStep: number,
  opts: RnnModelOptions,
  batch: ChoiceBatch,
  timing: TimingOptions = {},
): Promise<EngineChoiceResult | null> {
  if (!Number.isFinite(currentMsPerStep)) return null;
  const { open, skipped } = await autoCandidates(registry, opts.cell ?? 'rnn');
  const others = open.filter((c) => c.entry.id !== current);
  if (!others.length) return null;
  const currentEntry = registry[current];
  const r = await timeEngines(
    [
      { id: current, create: () => Promise.reject(new Error('unused')) },
      ...others.map(({ entry }) => ({ id: entry.id, create: () => entry.create(opts) })),
    ],
    batch,
    { ...timing, known: { [current]: currentMsPerStep } },
  );
  // Timing the others may have moved tfjs's global backend: the current engine's must be active again.
  if (currentEntry) await currentEntry.available();
  const best = r.timings.find((t) => t.id === r.best)!;
  if (r.best === current || best.msPerStep! > SWITCH_MARGIN * currentMsPerStep) return null;
  const chosen = others.find((c) => c.entry.id === r.best)!;
  await chosen.entry.available();
  const note = `auto re-check after epoch 1: ${describeTimings(r.timings)}${skipped.length ? `; ${skipped.join('; ')}` : ''}`;
  return { entry: chosen.entry, info: { ...chosen.info, note }, timings: r.timings };
}

/**
 * Replaces a trainer by a new one of `entry`'s engine holding exactly `weights` (float32, as
 * copied to the CPU): the old one is disposed first so GPU memory does not pile up. Optimiser
 * state starts afresh (no engine exports it).
 */
export async function swapTrainer(
  old: Trainer | null,
  entry: EngineEntry,
  opts: RnnModelOptions,
  weights: RnnWeights,
  threads = 1,
): Promise<Trainer> {
  if (old) {
    try {
      old.dispose();
    } catch {
      /* resources of a lost context may refuse to be freed; they are gone anyway */
    }
  }
  const t = await entry.create(opts, threads);
  t.setWeights(weights);
  return t;
}

/** Whether the trainer's GPU context/device is lost: its own isLost(), else its entry's shared-context check. */
export function trainerLost(registry: EngineRegistry, id: EngineId, trainer: Trainer): boolean {
  if (trainer.isLost) return trainer.isLost();
  return registry[id]?.lost?.() ?? false;
}

/** Whether losing the context can happen to this engine (the worker watches only those). */
export function canLoseContext(registry: EngineRegistry, id: EngineId, trainer: Trainer): boolean {
  return trainer.isLost !== undefined || registry[id]?.lost !== undefined;
}

/** Loses the engine's context on purpose (rehearsals); false when the engine has none. */
export function loseEngineContext(registry: EngineRegistry, id: EngineId, trainer: Trainer): boolean {
  if (trainer.loseContext) return trainer.loseContext();
  return registry[id]?.loseContext?.() ?? false;
}

/**
 * After a lost context/device: frees what can be freed, rebuilds the engine (a new context) or
 * falls back down its chain, and restores `weights` exactly. The info says where training goes on.
 * `threads`: what a threaded engine (a fallback to the hand-written one) trains on.
 */
export async function recoverEngine(
  registry: EngineRegistry,
  id: EngineId,
  old: Trainer,
  opts: RnnModelOptions,
  weights: RnnWeights,
  threads = 1,
): Promise<{ trainer: Trainer; entry: EngineEntry; info: EngineInfo }> {
  try {
    old.dispose();
  } catch {
    /* a lost context's textures/buffers may refuse to be freed */
  }
  await registry[id]?.reset?.();
  const { entry, info } = await openEngine(registry, id, opts.cell ?? 'rnn');
  const trainer = await swapTrainer(null, entry, opts, weights, threads);
  return { trainer, entry, info };
}

/**
 * The batch `auto` times: the first min(batch, n) training digits, encoded as the run feeds
 * them (x [B*T*D] batch-major, labels [B]).
 */
export function choiceBatch(batch: number, spec: SequenceSpec, split: MnistSplit): ChoiceBatch {
  const B = Math.min(batch, split.labels.length);
  const idx = Int32Array.from({ length: B }, (_, i) => i);
  return { x: encodeImages(split.images, idx, spec), labels: Int32Array.from(idx, (i) => split.labels[i]), B, T: spec.T, D: spec.D };
}

/**
 * auto's thread counts on a machine with `cores` logical cores (navigator.hardwareConcurrency):
 * 1, 2, 4, ... up to cores - 2, keeping one core for the page and one for the epoch analysis that
 * runs alongside training (worker/analysisPool.ts). [1] on two cores.
 */
export function autoThreadCandidates(cores: number): number[] {
  const max = Math.min(MAX_AUTO_THREADS, Math.max(1, Math.floor(cores) - 2));
  const out: number[] = [];
  for (let w = 1; w <= max; w *= 2) out.push(w);
  return out;
}

/** auto never times more threads than this (beyond it the per-step copies outweigh the rows). */
export const MAX_AUTO_THREADS = 8;

/** auto keeps more threads only when they are at least this much faster than fewer (cores are shared). */
export const THREADS_MARGIN = 0.9;

/** Threads a run trains on, and how that was decided (the tooltip's threads line). */
export interface ThreadsChoiceResult {
  threads: number;
  note?: string;
  timings?: EngineTiming<string>[];
}

const threadsLabel = (w: number) => (w === 1 ? '1 thread' : `${w} threads`);

/**
 * How many threads `entry` trains on. An engine that is not threaded: 1. A number: that many.
 * `auto`: each of autoThreadCandidates(cores) timed at steady state on `batch`
 * (model/engineTiming.ts, warm-up excluded); the fewest threads within THREADS_MARGIN of the best
 * are kept. With a single candidate nothing is timed.
 */
export async function chooseThreads(
  entry: EngineEntry,
  choice: ThreadsChoice,
  opts: RnnModelOptions,
  batch: ChoiceBatch,
  cores: number,
  timing: TimingOptions<string> = {},
): Promise<ThreadsChoiceResult> {
  if (!entry.threaded) return { threads: 1 };
  if (choice !== 'auto') return { threads: choice };
  const candidates = autoThreadCandidates(cores);
  if (candidates.length === 1)
    return { threads: 1, note: `auto: 1 thread (${cores} cores: one is kept for the page, one for the analysis)` };
  const r = await timeEngines(
    candidates.map((w) => ({ id: threadsLabel(w), create: () => entry.create(opts, w) })),
    batch,
    timing,
  );
  let chosen = 0;
  r.timings.forEach((t, i) => {
    const best = r.timings[chosen].msPerStep;
    if (t.msPerStep !== undefined && (best === undefined || t.msPerStep < THREADS_MARGIN * best)) chosen = i;
  });
  return { threads: candidates[chosen], note: `auto: ${describeTimings(r.timings)}`, timings: r.timings };
}

/**
 * `info` with the threads `trainer` trains on and how they were chosen (`note`, chooseThreads),
 * plus why it got fewer than asked (a Worker that could not start): what the badge tooltip shows.
 */
export function withThreads(info: EngineInfo, trainer: Trainer, note?: string): EngineInfo {
  const threadsNote = [note, trainerThreadsNote(trainer)].filter(Boolean).join('; ');
  return { ...info, threads: trainerThreads(trainer), ...(threadsNote ? { threadsNote } : {}) };
}
