/**
 * "Every core" bench rows (Node, worker_threads): the epoch analysis through the analysis pool
 * (analysisPool.ts, the app's scheduler) and the QR iteration split over probes, for 1 and 2
 * workers (`workers` field), and the threaded hand-written engine (threaded.ts) for 1 and 2
 * threads (`threads` field). Each row also says whether the parallel result equals the
 * 1-worker / 1-thread result bit for bit (`identical`).
 */
import { initRnnWeights, RNN_TENSOR_NAMES } from '../model/init';
import { createThreadedFastTrainer } from '../model/fast/threaded';
import { nodeHelperSpawner, tsWorker } from '../model/fast/threadedNode';
import type { ModelWeights } from '../core/formats/model';
import { probeRanges } from '../core/analysis/epochParts';
import { createRng } from '../core/rng';
import type { PoolWorker } from '../worker/analysisPool';
import type { AnalysisPartCommand, AnalysisPartEvent, AnalyzerCommand, AnalyzerEvent } from '../worker/protocol';
import { epochRows } from './analysisEpochBench';
import { summarize, syntheticBatch, type TrainConfig } from './benchCommon';
import type { QrTask } from './coresWorker';

const now = () => performance.now();

/** One bench worker thread (coresWorker.ts under tsx) as a PoolWorker, plus raw access for 'qr' tasks. */
function benchWorker(): PoolWorker & { raw: ReturnType<typeof tsWorker> } {
  const w = tsWorker(new URL('./coresWorker.ts', import.meta.url));
  return {
    raw: w,
    post: (cmd: AnalyzerCommand | AnalysisPartCommand) => w.postMessage(cmd),
    onMessage: (h: (ev: AnalyzerEvent | AnalysisPartEvent) => void) => {
      w.on('message', h);
    },
    onCrash: (h: (m: string) => void) => {
      w.on('error', (e) => h(e.message));
    },
    terminate: () => void w.terminate(),
  };
}

/** QR iteration (k = 16, 16 probes, T = 196, N = 128, orthogonal weights) split over `workers` threads. */
export async function qrOnce(workers: number): Promise<{ ms: number; lnR: Float64Array }> {
  const T = 196;
  const N = 128;
  const k = 16;
  const B = 16;
  const w = initRnnWeights({ inputSize: 1, hiddenSize: N, numClasses: 10, init: 'orthogonal', gain: 1, seed: 2 });
  const tensors = {} as ModelWeights['tensors'];
  for (const n of RNN_TENSOR_NAMES) tensors[n] = Float64Array.from(w[n].data);
  const weights: ModelWeights = { arch: 'rnn', inputSize: 1, hiddenSize: N, numClasses: 10, tensors };
  const rng = createRng(3);
  const inputs = Float64Array.from({ length: B * T }, () => rng.next());
  const ws = Array.from({ length: workers }, benchWorker);
  const run = (b0: number, b1: number, i: number, task: number) =>
    new Promise<{ task: number; lnR: Float64Array }>((resolve) => {
      ws[i].raw.once('message', resolve);
      ws[i].raw.postMessage({ type: 'qr', task, weights, inputs, T, k, b0, b1 } satisfies QrTask);
    });
  // Warm-up: kernels loaded and code optimised in every worker by two untimed passes of the timed
  // split (one probe each left V8's baseline code in the timed pass: 2 workers 137-257 ms).
  const split = probeRanges(B, workers);
  for (let pass = 0; pass < 2; pass++) await Promise.all(split.map(([b0, b1], i) => run(b0, b1, i, -1)));
  const t0 = now();
  const parts = await Promise.all(split.map(([b0, b1], i) => run(b0, b1, i, b0)));
  const ms = now() - t0;
  for (const x of ws) x.terminate();
  const lnR = new Float64Array(B * T * k);
  for (const p of parts) lnR.set(p.lnR, p.task * T * k);
  return { ms, lnR };
}

/** Median of `reps` timed training steps of the threaded engine (WASM SIMD kernels) after `warmup`, and the final weights. */
async function trainRun(c: TrainConfig, threads: number, wasm: ArrayBuffer, warmup: number, reps: number) {
  const tr = await createThreadedFastTrainer({ inputSize: c.D, hiddenSize: c.N, seed: 1, optimizer: 'adam', lr: 1e-3 }, threads, {
    wasm,
    spawn: nodeHelperSpawner,
  });
  const { x, y } = syntheticBatch(c);
  const times: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = now();
    await tr.trainBatch(x, y, c.B, c.T, c.D);
    if (i >= warmup) times.push(now() - t0);
  }
  const whh = (await tr.getWeights()).weight_hh_l0.data as Float32Array;
  const used = tr.threads;
  tr.dispose();
  return { times, whh, threads: used };
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

export interface CoresBenchOptions {
  /** Analysis repetitions per worker count (default 3 and 3). */
  reps?: { epoch: number; qr: number };
  /** Worker / thread counts (default [1, 2]; the first is the reference). */
  counts?: number[];
  /** Training configs [T, N, warmup, reps] (default T = 196, N = 128 and T = 784, N = 512). */
  train?: [number, number, number, number][];
  /** false: the training rows only (no epoch analysis or QR rows). Default true. */
  analysis?: boolean;
}

/** All rows; `log` gets progress lines. */
export async function coresBenchRows(
  wasm: ArrayBuffer,
  log: (m: string) => void,
  o: CoresBenchOptions = {},
): Promise<Record<string, unknown>[]> {
  const reps = o.reps ?? { epoch: 3, qr: 3 };
  const counts = o.counts ?? [1, 2];
  const rows: Record<string, unknown>[] = [];
  const env = 'node';
  const analysis = o.analysis !== false;
  if (analysis) rows.push(...(await epochRows(benchWorker, counts, reps.epoch, env, log)));
  let qrRef: Float64Array | null = null;
  const qrTimes = counts.map(() => [] as number[]);
  const qrSame = counts.map(() => true);
  for (let r = 0; r < (analysis ? reps.qr : 0); r++) {
    for (const [ci, workers] of counts.entries()) {
      const { ms, lnR } = await qrOnce(workers);
      qrTimes[ci].push(ms);
      qrRef ??= lnR;
      qrSame[ci] &&= same(lnR, qrRef);
    }
  }
  for (const [ci, workers] of (analysis ? counts : []).entries()) {
    const times = qrTimes[ci];
    const identical = qrSame[ci];
    const row = {
      phase: 'analysis',
      what: 'qr',
      kernels: 'wasm-simd',
      workers,
      T: 196,
      N: 128,
      k: 16,
      probes: 16,
      ...summarize(times),
      reps: reps.qr,
      identical,
      env,
    };
    log(`analysis qr T=196 N=128 k=16 probes=16 workers=${workers}: median ${row.median_ms} ms`);
    rows.push(row);
  }
  for (const [T, N, warmup, r] of o.train ?? [
    [196, 128, 2, 10],
    [784, 512, 1, 2],
  ]) {
    const c: TrainConfig = { T, D: 1, N, B: 64 };
    let whh1: Float32Array | null = null;
    for (const threads of counts) {
      const a = await trainRun(c, threads, wasm, warmup, r);
      // Reproducibility: a second run with the same seed and W gives the same weights bit for bit (checked on the small config).
      let reproducible: boolean | undefined;
      if (T === 196) reproducible = same((await trainRun(c, threads, wasm, warmup, r)).whh, a.whh);
      if (threads === counts[0]) whh1 = a.whh;
      const s = summarize(a.times);
      const row = {
        phase: 'train',
        backend: 'fast-wasm',
        threads: a.threads,
        ...c,
        ...s,
        samples_per_s: Math.round((c.B * 1000) / s.median_ms),
        peak_tensors: 0,
        reps: r,
        ...(reproducible !== undefined ? { reproducible } : {}),
        ...(threads !== counts[0] && whh1 ? { identical_to_1_thread: same(a.whh, whh1) } : {}),
        env,
      };
      log(`train fast-wasm T=${T} N=${N} threads=${a.threads}: median ${s.median_ms} ms`);
      rows.push(row);
    }
  }
  return rows;
}
