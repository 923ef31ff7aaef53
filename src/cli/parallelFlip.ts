/**
 * The CLI's analysis on several threads (`ftle-lab analyze --workers N`): N - 1 worker_threads
 * (flipThread.ts) and the main thread each hold every probe.
 *
 * - Dynamics: each thread takes the next probe from one shared counter (probeParts.ts) until all
 *   are taken, so the work spreads evenly however many probes there are and however fast each
 *   thread runs (a fixed split of 15 probes over 2 threads left one idle for 1/16 of the stage).
 * - Flip test: each evaluator call is cut into the cached evaluator's own blocks (flipBlocks: per
 *   probe, jobs by first flipped step, 8 lanes), and whole blocks are dealt to the threads, largest
 *   cost first, each to the least loaded thread. A block's losses depend on its jobs only, so the
 *   losses are the single-thread ones bit for bit and the output file does not depend on N
 *   (test/unit/cli.test.ts compares the files).
 *
 * The flip test calls its evaluator synchronously; the main thread waits for the other threads
 * with Atomics.wait on shared flags (allowed on Node's main thread), so analyzeModel stays synchronous.
 */
import type { Worker } from 'node:worker_threads';
import { packJobs } from '../core/analysis/epochParts';
import type { ModelWeights } from '../core/formats/model';
import type { Probe } from '../core/formats/probe';
import { createRecurrentFlipEvaluator, evaluatorFlipBlocks, type FlipEvaluator, type FlipJob } from '../core/sensitivity';
import { tsWorker } from '../model/fast/threadedNode';
import type { AnalysisPart } from '../core/analysis/analyze';
import type { FlipThreadCall, FlipThreadData, PartOptions, PartReply, PartRequest } from './flipThread';
import { takeProbeParts } from './probeParts';

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
  /**
   * analyzeModel's per-probe parts of every probe (one probe each), computed by all threads at
   * once: the other threads and this one take probes from a shared counter until none is left.
   */
  parts(opts: PartOptions): Promise<AnalysisPart[]>;
  close(): void;
}

/**
 * Deals `blocks` (their costs) to `threads` threads: largest cost first, each to the thread with
 * the least cost so far (lowest index on ties). Deterministic. Returns the thread of each block.
 */
export function dealBlocks(costs: ArrayLike<number>, threads: number): Int32Array {
  const order = Array.from({ length: costs.length }, (_, i) => i).sort((x, y) => costs[y] - costs[x] || x - y);
  const load = new Float64Array(threads);
  const owner = new Int32Array(costs.length);
  for (const i of order) {
    let best = 0;
    for (let t = 1; t < threads; t++) if (load[t] < load[best]) best = t;
    owner[i] = best;
    load[best] += costs[i];
  }
  return owner;
}

/**
 * Starts min(threads, B) - 1 analysis threads for the probe set (inputs [B*T*D], labels [B], h0/c0
 * [B*N] optional) and resolves once each has its flip evaluator. `wasm` must say whether this
 * thread runs the WASM SIMD kernels (the other threads then load them too).
 */
export async function createParallelFlipEvaluator(
  weights: ModelWeights,
  probe: Probe,
  threads: number,
  wasm: boolean,
): Promise<ParallelFlipEvaluator> {
  const { B, T, D } = probe;
  const C = weights.numClasses;
  const W = Math.max(1, Math.min(threads, B));
  const labels = Int32Array.from(probe.labels);
  const nextProbe = new SharedArrayBuffer(4);
  const workers: Worker[] = [];
  let own: ReturnType<typeof createRecurrentFlipEvaluator>;
  try {
    const ready = Promise.all(
      Array.from({ length: W - 1 }, () => {
        const workerData: FlipThreadData = { weights, inputs: probe.inputs, labels, B, T, D, h0: probe.h0, c0: probe.c0, nextProbe, wasm };
        const w = spawnFlipThread(workerData);
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          w.once('message', (m: { type: 'ready' } | { type: 'error'; message: string }) => {
            if (m.type === 'ready') resolve();
            else reject(new Error(`flip thread: ${m.message}`));
          });
          w.once('error', reject);
        });
      }),
    );
    // Handled by the await below; without this a thread failing while the line after it throws would be an unhandled rejection.
    ready.catch(() => {});
    // This thread's evaluator (every probe's base trajectories) while the others build theirs.
    own = createRecurrentFlipEvaluator(weights, probe.inputs, labels, B, T, D, probe.h0, probe.c0);
    await ready;
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  }
  /** One evaluator call: whole blocks dealt to the threads, each thread's jobs in call order; outputs scattered back. */
  const call = (kind: 'losses' | 'logits', jobs: FlipJob[]): Float64Array => {
    const width = kind === 'losses' ? 1 : C;
    const blocks = evaluatorFlipBlocks(weights.arch, jobs, T);
    // A block costs its replayed steps: the lane kernel runs all 8 lanes however many jobs it holds.
    const owner = dealBlocks(
      blocks.map((blk) => T - blk.tStart),
      W,
    );
    const threadOf = new Int32Array(jobs.length);
    blocks.forEach((blk, i) => {
      for (const m of blk.jobs) threadOf[m] = owner[i];
    });
    const mine: FlipJob[][] = Array.from({ length: W }, () => []);
    jobs.forEach((j, m) => mine[threadOf[m]].push(j));
    const pending = workers.map((w, i) => {
      const list = mine[i + 1];
      const out = new SharedArrayBuffer(Math.max(8, list.length * width * 8));
      const flag = new SharedArrayBuffer(4);
      w.postMessage({ kind, jobs: packJobs(list), out, flag } satisfies FlipThreadCall);
      return { out, flag: new Int32Array(flag) };
    });
    const outs: Float64Array[] = [kind === 'losses' ? own.losses(mine[0]) : own.logits(mine[0]).logits];
    pending.forEach((p, i) => {
      while (Atomics.load(p.flag, 0) === 0) Atomics.wait(p.flag, 0, 0);
      if (Atomics.load(p.flag, 0) !== 1) throw new Error(`flip thread ${i + 1} failed`);
      outs.push(new Float64Array(p.out));
    });
    const full = new Float64Array(jobs.length * width);
    const cursor = new Int32Array(W);
    for (let m = 0; m < jobs.length; m++) {
      const i = threadOf[m];
      full.set(outs[i].subarray(cursor[i] * width, (cursor[i] + 1) * width), m * width);
      cursor[i]++;
    }
    return full;
  };
  return {
    B,
    T,
    D,
    baseLoss: own.baseLoss,
    threads: W,
    parts: async (opts) => {
      const replies = workers.map(
        (w, i) =>
          new Promise<AnalysisPart[]>((resolve, reject) => {
            w.once('message', (m: PartReply) =>
              m.type === 'part' ? resolve(m.parts) : reject(new Error(`analysis thread ${i + 1}: ${m.message}`)),
            );
            w.once('error', reject);
            w.postMessage({ type: 'part', opts } satisfies PartRequest);
          }),
      );
      // This thread takes probes too (synchronously; the replies wait in the event loop meanwhile).
      const mineParts = takeProbeParts(weights, probe, new Int32Array(nextProbe), opts);
      return [...mineParts, ...(await Promise.all(replies)).flat()];
    },
    losses: (jobs) => call('losses', jobs),
    logits: (jobs) => ({ logits: call('logits', jobs), C }),
    close: () => {
      for (const w of workers) void w.terminate();
    },
  };
}
