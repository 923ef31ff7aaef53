/**
 * The CLI's analysis on several threads (`ftle-lab analyze --workers N`): the probes are split
 * into N contiguous ranges; each of N - 1 worker_threads (flipThread.ts) computes analyzeModel's
 * per-probe part of its range while the main thread computes the first range's (otherParts), and
 * for the flip test the main thread evaluates the first range with its own cached evaluator while
 * the threads evaluate theirs, each call restricted to each range in job order. The cached evaluator works per probe, so the losses are the
 * single-thread ones bit for bit and the output file does not depend on N
 * (epochParts.ts explains why; test/unit/cli.test.ts compares the files).
 *
 * The flip test calls its evaluator synchronously; the main thread waits for the other threads
 * with Atomics.wait on shared flags (allowed on Node's main thread), so analyzeModel stays synchronous.
 */
import type { Worker } from 'node:worker_threads';
import { packJobs, probeRanges } from '../core/analysis/epochParts';
import type { ModelWeights } from '../core/formats/model';
import { createRecurrentFlipEvaluator, type FlipEvaluator, type FlipJob } from '../core/sensitivity';
import { tsWorker } from '../model/fast/threadedNode';
import type { AnalysisPart } from '../core/analysis/analyze';
import type { FlipThreadCall, FlipThreadData, PartOptions, PartReply, PartRequest } from './flipThread';

/**
 * Starts one flip thread with `workerData`. From the sources (tsx, vitest) that is flipThread.ts
 * through tsx; the built CLI (entry.ts) swaps in its own bundle as the thread's script, since a
 * single-file install has no flipThread.ts to run.
 */
export type FlipThreadSpawner = (workerData: FlipThreadData) => Worker;

let spawnFlipThread: FlipThreadSpawner = (workerData) =>
  tsWorker(new URL('./flipThread.ts', import.meta.url), { workerData: workerData as unknown as Record<string, unknown> });

/** Replaces how flip threads start (the built CLI's entry point does this once). */
export function setFlipThreadSpawner(spawner: FlipThreadSpawner): void {
  spawnFlipThread = spawner;
}

/** A FlipEvaluator spread over threads; close() stops them. */
export interface ParallelFlipEvaluator extends FlipEvaluator {
  threads: number;
  /** Probe range [b0, b1) of each thread; range 0 is the calling thread's own. */
  ranges: [number, number][];
  /** analyzeModel's per-probe parts of ranges 1.. computed on their threads (range 0 is the caller's to compute). */
  otherParts(opts: PartOptions): Promise<AnalysisPart[]>;
  close(): void;
}

/**
 * Starts min(threads, B) - 1 flip threads for probes inputs [B*T*D] with labels [B] (h0/c0 [B*N]
 * optional) and resolves once each has its base trajectories. `wasm` must say whether this thread
 * runs the WASM SIMD kernels (the other threads then load them too).
 */
export async function createParallelFlipEvaluator(
  weights: ModelWeights,
  probe: { B: number; T: number; D: number; inputs: Float64Array; labels: ArrayLike<number>; h0?: Float64Array; c0?: Float64Array },
  threads: number,
  wasm: boolean,
): Promise<ParallelFlipEvaluator> {
  const { B, T, D } = probe;
  const C = weights.numClasses;
  const ranges = probeRanges(B, threads);
  const [, own1] = ranges[0];
  const labels = Int32Array.from(probe.labels);
  const own = createRecurrentFlipEvaluator(
    weights,
    probe.inputs.subarray(0, own1 * T * D),
    labels.subarray(0, own1),
    own1,
    T,
    D,
    probe.h0?.subarray(0, own1 * weights.hiddenSize),
    probe.c0?.subarray(0, own1 * weights.hiddenSize),
  );
  const workers: Worker[] = [];
  const baseLoss = new Float64Array(B);
  baseLoss.set(own.baseLoss, 0);
  try {
    await Promise.all(
      ranges.slice(1).map(([b0, b1]) => {
        const workerData: FlipThreadData = {
          weights,
          inputs: probe.inputs.subarray(b0 * T * D, b1 * T * D),
          labels: labels.subarray(b0, b1),
          T,
          D,
          b0,
          b1,
          h0: probe.h0,
          c0: probe.c0,
          wasm,
        };
        const w = spawnFlipThread(workerData);
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          w.once('message', (m: { type: 'ready'; baseLoss: Float64Array } | { type: 'error'; message: string }) => {
            if (m.type === 'ready') {
              baseLoss.set(m.baseLoss, b0);
              resolve();
            } else reject(new Error(`flip thread: ${m.message}`));
          });
          w.once('error', reject);
        });
      }),
    );
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  }
  const owner = new Int32Array(B);
  ranges.forEach(([b0, b1], i) => owner.fill(i, b0, b1));

  /** One evaluator call: every range's jobs, in job order, on its thread; outputs scattered back. */
  const call = (kind: 'losses' | 'logits', jobs: FlipJob[]): Float64Array => {
    const width = kind === 'losses' ? 1 : C;
    const mine: FlipJob[][] = ranges.map(() => []);
    for (const j of jobs) mine[owner[j.probe]].push(j);
    const pending = ranges.slice(1).map((_, i) => {
      const list = mine[i + 1];
      const out = new SharedArrayBuffer(Math.max(8, list.length * width * 8));
      const flag = new SharedArrayBuffer(4);
      workers[i].postMessage({ kind, jobs: packJobs(list), out, flag } satisfies FlipThreadCall);
      return { out, flag: new Int32Array(flag) };
    });
    const ownJobs = mine[0];
    const ownOut = kind === 'losses' ? own.losses(ownJobs) : own.logits(ownJobs).logits;
    const outs: Float64Array[] = [ownOut];
    pending.forEach((p, i) => {
      while (Atomics.load(p.flag, 0) === 0) Atomics.wait(p.flag, 0, 0);
      if (Atomics.load(p.flag, 0) !== 1) throw new Error(`flip thread ${i + 1} failed`);
      outs.push(new Float64Array(p.out));
    });
    const full = new Float64Array(jobs.length * width);
    const cursor = new Int32Array(ranges.length);
    jobs.forEach((j, m) => {
      const i = owner[j.probe];
      full.set(outs[i].subarray(cursor[i] * width, (cursor[i] + 1) * width), m * width);
      cursor[i]++;
    });
    return full;
  };
  return {
    B,
    T,
    D,
    baseLoss,
    threads: ranges.length,
    ranges,
    otherParts: (opts) =>
      Promise.all(
        workers.map(
          (w, i) =>
            new Promise<AnalysisPart>((resolve, reject) => {
              w.once('message', (m: PartReply) =>
                m.type === 'part' ? resolve(m.part) : reject(new Error(`analysis thread ${i + 1}: ${m.message}`)),
              );
              w.once('error', reject);
              w.postMessage({ type: 'part', opts } satisfies PartRequest);
            }),
        ),
      ),
    losses: (jobs) => call('losses', jobs),
    logits: (jobs) => ({ logits: call('logits', jobs), C }),
    close: () => {
      for (const w of workers) void w.terminate();
    },
  };
}
