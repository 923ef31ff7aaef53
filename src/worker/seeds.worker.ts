/// <reference lib="webworker" />
/**
 * The seeds worker: trains and analyses the background seeds of a several-seed run (config
 * `seeds` > 1), one seed after another: a thin adapter around run/headless.ts, the same run as
 * `ftle-lab run` through the page's epoch loop (run/loop.ts): the hand-written fast engine on the app's WASM SIMD kernels
 * (kernels/fast_rnn.wasm; plain JS where SIMD is missing) and the float64 analysis on
 * kernels/analysis.wasm. Every analysed epoch is posted as it finishes. It is stopped by being
 * terminated (a new run, an import): nothing it holds needs saving beyond the posted snapshots.
 * 'pause' holds it before its next training batch (an analysis under way finishes first), 'resume'
 * lets it go on: the seeds pause with the main run, and their numbers do not change.
 */
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../core/kernels/wasm';
import type { EngineId } from '../core/engines';
import { fetchMnistAsset } from '../data/mnistAsset';
import { createJsTrainingKernels, type TrainingKernels } from '../model/fast/kernels';
import { createWasmTrainingKernels } from '../model/fast/wasmKernels';
import { runHeadless, type HeadlessProgress } from '../run/headless';
import type { SeedsCommand, SeedsEvent } from './seedsProtocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: SeedsEvent) => ctx.postMessage(ev);

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** The fast engine's kernels as the training worker's fast-wasm entry loads them, JS without SIMD. */
async function loadKernels(appBase: string): Promise<{ kernels: TrainingKernels; engine: EngineId }> {
  if (!wasmSimdAvailable()) return { kernels: createJsTrainingKernels(), engine: 'fast-js' };
  const [train, analysis] = await Promise.all([
    fetchBytes(new URL('kernels/fast_rnn.wasm', appBase).href),
    fetchBytes(new URL('kernels/analysis.wasm', appBase).href),
  ]);
  setAnalysisKernels(await createWasmAnalysisKernels(analysis));
  return { kernels: await createWasmTrainingKernels(train), engine: 'fast-wasm' };
}

function describe(p: HeadlessProgress): { what: string; fraction: number } {
  if (p.phase === 'train') return { what: `training epoch ${p.epoch}/${p.epochs}`, fraction: p.fraction };
  if (p.phase === 'evaluate') return { what: `evaluating epoch ${p.epoch}/${p.epochs}`, fraction: 0 };
  return { what: `analysing epoch ${p.epoch}/${p.epochs} (${p.step})`, fraction: p.fraction };
}

/** Resolves when training may go on; pending while paused. */
let gate: Promise<void> | null = null;
let openGate: (() => void) | null = null;
let current: { runId: string; seed: number } | null = null;

function pause(): void {
  if (gate) return;
  gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
}

/** Before each training batch: while paused, say so and wait. */
function held(): Promise<void> | undefined {
  if (!gate) return undefined;
  if (current) post({ type: 'progress', ...current, what: 'paused with the main run', fraction: 0 });
  return gate;
}

function resume(): void {
  openGate?.();
  gate = null;
  openGate = null;
}

async function run(cmd: Extract<SeedsCommand, { type: 'run' }>): Promise<void> {
  const appBase = new URL('../', cmd.dataUrl).href;
  const [dataset, { kernels, engine }] = await Promise.all([cmd.dataset ?? fetchMnistAsset(cmd.dataUrl), loadKernels(appBase)]);
  for (const seed of cmd.seeds) {
    post({ type: 'seedStart', runId: cmd.runId, seed, engine });
    current = { runId: cmd.runId, seed };
    let lastPost = 0;
    try {
      const r = await runHeadless({
        config: { ...cmd.config, seed },
        dataset,
        kernels,
        engine,
        appVersion: 'app',
        onProgress: (p) => {
          // A progress bar needs a few updates a second, not one per batch.
          const now = performance.now();
          if (now - lastPost < 250) return;
          lastPost = now;
          post({ type: 'progress', runId: cmd.runId, seed, ...describe(p) });
        },
        onEpoch: (_, snapshot) => post({ type: 'snapshot', runId: cmd.runId, seed, snapshot }),
        beforeBatch: held,
      });
      post({ type: 'seedEnd', runId: cmd.runId, seed, outcome: r.outcome, message: r.message });
    } catch (e) {
      post({ type: 'error', runId: cmd.runId, seed, message: (e as Error).message });
    }
  }
}

ctx.onmessage = (e: MessageEvent<SeedsCommand>) => {
  const cmd = e.data;
  if (cmd.type === 'pause') return pause();
  if (cmd.type === 'resume') return resume();
  run(cmd).catch((err) => post({ type: 'error', runId: cmd.runId, seed: null, message: (err as Error).message }));
};
