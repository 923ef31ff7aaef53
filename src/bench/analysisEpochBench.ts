/**
 * The analysis pool's bench row, wherever its workers come from: one pixel-preset epoch analysis
 * (analysisPool.ts, the app's scheduler) timed for each worker count, in Node (coresBench.ts,
 * worker_threads) and in Chromium (bench.html ?analysis_workers=, the app's own analysis workers).
 * Rows say whether every count's result equals the first count's bit for bit (`identical`).
 */
import { initRnnWeights, RNN_TENSOR_NAMES } from '../model/init';
import { ENCODING_SHAPES, PRESET_CONFIGS, type Preset } from '../core/formats/config';
import { createRng } from '../core/rng';
import { createAnalysisPool, type PoolWorker } from '../worker/analysisPool';
import type { AnalyzeRequest, AnalyzerEvent } from '../worker/protocol';
import { summarize } from './benchCommon';

const now = () => performance.now();

/** The pixel preset's epoch-analysis request: N = 64, T = 196, D = 1, 16 probes, k = 16, 50 draws; orthogonal weights. */
export function pixelRequest(): AnalyzeRequest {
  return presetRequest('pixel');
}

/** A preset's epoch-analysis request (its N, T, D, probes, k, draws), orthogonal weights, seeded sparse inputs. */
function presetRequest(preset: Preset, analysisEngine?: AnalyzeRequest['analysisEngine']): AnalyzeRequest {
  const config = PRESET_CONFIGS[preset];
  const N = config.hidden;
  const { T, D } = ENCODING_SHAPES[config.encoding];
  const B = config.probes;
  const w = initRnnWeights({ inputSize: D, hiddenSize: N, numClasses: 10, init: 'orthogonal', gain: 1, seed: 2 });
  const weights: AnalyzeRequest['weights'] = {};
  for (const n of RNN_TENSOR_NAMES) weights[n] = { shape: w[n].shape.slice(), data: Float32Array.from(w[n].data) };
  const rng = createRng(3);
  const inputs = Float32Array.from({ length: B * T * D }, () => (rng.next() < 0.35 ? rng.next() : 0));
  return {
    type: 'analyze',
    runId: 'bench',
    epoch: 1,
    arch: 'rnn',
    config,
    weights,
    probe: { inputs, labels: Array.from({ length: B }, (_, b) => b % 10), T, D },
    ...(analysisEngine ? { analysisEngine } : {}),
  };
}

/** A pool of `workers` from `spawn` kept across epochs, as the app keeps its analysis workers for a run. */
interface WarmPool {
  /** Wall time of one pixel-preset epoch analysis (epoch number `epoch`), its result and stage times. */
  epoch(epoch: number): Promise<{ ms: number; analysis: unknown; stagesMs?: Record<string, number> }>;
  terminate(): void;
}

/** Untimed epochs that warm a pool by default: V8 reaches its steady code only after ~3 epochs' work (measured: 4.5, 3.9, 3.0, then 2.8 s per epoch on one thread). */
export const WARM_EPOCHS = 3;

/**
 * Starts a pool of `workers` and warms it with `warm` whole pixel-preset epochs (untimed: they
 * start the workers, load their kernels and let V8 optimise every stage's code, as the first
 * epochs of an app run do).
 */
async function warmPool(spawn: () => PoolWorker, workers: number, warm: number): Promise<WarmPool> {
  const pool = createAnalysisPool(spawn, workers);
  let waiting: ((ev: Extract<AnalyzerEvent, { type: 'analysis' }>) => void) | null = null;
  let failed: ((err: Error) => void) | null = null;
  pool.onEvent((ev) => {
    if (ev.type === 'error') failed?.(new Error(ev.message));
    if (ev.type === 'analysis') waiting?.(ev);
  });
  const run = (epoch: number) =>
    new Promise<{ ms: number; analysis: unknown; stagesMs?: Record<string, number> }>((resolve, reject) => {
      const t0 = now();
      waiting = (ev) => resolve({ ms: now() - t0, analysis: ev.analysis, stagesMs: ev.stagesMs });
      failed = reject;
      pool.post({ ...pixelRequest(), epoch });
    });
  for (let e = 0; e < Math.max(1, warm); e++) await run(1000 + e);
  return { epoch: run, terminate: () => pool.terminate() };
}

function medianStages(runs: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(runs[0])) {
    const v = runs.map((r) => r[k]).sort((a, b) => a - b);
    out[k] = Math.round(v[v.length >> 1] * 10) / 10;
  }
  return out;
}

/**
 * The `workers` rows (phase 'analysis', what 'epoch-pixel'): one pool per count, warmed by `warm`
 * (>= 1) untimed epochs (warmPool: the app's steady state, where a run's analysis workers serve
 * every epoch), then `reps` timed epochs per count, interleaved (1, 2, 1, 2, ...) so a burst of
 * load from other processes hits each alike. A fresh pool per timed epoch (as before) timed the
 * workers' compilation, paid once per run in the app and twice as often with two workers.
 */
export async function epochRows(
  spawn: () => PoolWorker,
  counts: number[],
  reps: number,
  env: string,
  log: (m: string) => void,
  warm = WARM_EPOCHS,
): Promise<Record<string, unknown>[]> {
  const cfg = PRESET_CONFIGS.pixel;
  let ref: string | null = null;
  const times = counts.map(() => [] as number[]);
  const identical = counts.map(() => true);
  const stages = counts.map(() => [] as Record<string, number>[]);
  const pools: WarmPool[] = [];
  try {
    for (const workers of counts) pools.push(await warmPool(spawn, workers, warm));
    for (let r = 0; r < reps; r++) {
      for (const [ci, pool] of pools.entries()) {
        const { ms, analysis, stagesMs } = await pool.epoch(r + 1);
        times[ci].push(ms);
        if (stagesMs) stages[ci].push(stagesMs);
        const json = JSON.stringify(analysis);
        ref ??= json;
        identical[ci] &&= json === ref;
      }
    }
  } finally {
    for (const p of pools) p.terminate();
  }
  return counts.map((workers, ci) => {
    const row = {
      phase: 'analysis',
      what: 'epoch-pixel',
      kernels: 'wasm-simd',
      workers,
      T: 196,
      N: cfg.hidden,
      k: cfg.k,
      probes: cfg.probes,
      draws: cfg.draws,
      ...summarize(times[ci]),
      reps,
      identical: identical[ci],
      // Pooled runs (workers > 1): median wall ms of each stage, to show where the time goes.
      ...(stages[ci].length ? { stages_ms: medianStages(stages[ci]) } : {}),
      env,
    };
    log(
      `analysis epoch (pixel preset) workers=${workers}: median ${row.median_ms} ms, identical to ${counts[0]} worker(s): ${identical[ci]}${row.stages_ms ? `, stages ${JSON.stringify(row.stages_ms)}` : ''}`,
    );
    return row;
  });
}

/**
 * The GPU analysis rows (bench.html ?analysis_gpu=pixel,paper-sensitivity, &analysis_engine=gpu|cpu,
 * &analysis_reps=): one epoch analysis of each preset through the app's pool with that engine
 * (a warm-up epoch first, untimed: it requests the device and compiles the kernels), `reps` times.
 * Rows: phase 'analysis', what 'epoch-<preset>', analysis_engine, adapter, median wall ms,
 * stages_ms (median per stage), R, Rm, single (single-pixel map computed), max_dev_f64 (largest
 * deviation of the float64 check, EpochSnapshot.gpuCheck) and decisions_differ. On SwiftShader the
 * figures are not indicative of a GPU (the row's adapter says so).
 */
export async function gpuEpochRows(
  spawn: () => PoolWorker,
  presets: Preset[],
  engine: 'gpu' | 'cpu',
  reps: number,
  workers: number,
  log: (m: string) => void,
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const preset of presets) {
    const pool = createAnalysisPool(spawn, workers);
    const times: number[] = [];
    const stages: Record<string, number>[] = [];
    let last: Extract<AnalyzerEvent, { type: 'analysis' }> | null = null;
    let fallback = '';
    try {
      await new Promise<void>((resolve, reject) => {
        let t0 = now();
        let epoch = 0;
        pool.onEvent((ev) => {
          if (ev.type === 'error') reject(new Error(ev.message));
          if (ev.type === 'gpuFallback') fallback = ev.message;
          if (ev.type !== 'analysis') return;
          if (ev.epoch > 0) {
            times.push(now() - t0);
            if (ev.stagesMs) stages.push(ev.stagesMs as Record<string, number>);
            last = ev;
          }
          if (epoch === reps) return resolve();
          epoch++;
          t0 = now();
          pool.post({ ...presetRequest(preset, engine), epoch });
        });
        pool.post({ ...presetRequest(preset, engine), epoch: 0 });
      });
    } finally {
      pool.terminate();
    }
    const a = (last as Extract<AnalyzerEvent, { type: 'analysis' }> | null)?.analysis;
    const check = a?.gpuCheck;
    const cfg = PRESET_CONFIGS[preset];
    const row = {
      phase: 'analysis',
      what: `epoch-${preset}`,
      analysis_engine: a?.analysisEngine?.kind ?? engine,
      adapter: a?.analysisEngine?.adapter ?? '',
      ...(fallback ? { fallback } : {}),
      T: ENCODING_SHAPES[cfg.encoding].T,
      N: cfg.hidden,
      probes: cfg.probes,
      workers,
      ...summarize(times),
      reps,
      ...(stages.length ? { stages_ms: medianStages(stages) } : {}),
      R: a?.flip?.R ?? 0,
      Rm: a?.flip?.matchedDraws ?? 0,
      single: (a?.flip?.singleFlip.length ?? 0) > 0,
      max_dev_f64: check
        ? {
            ln_r: check.maxDevLnR,
            ftle: check.maxDevFtle,
            q: check.maxDevQ,
            flip_dl: check.maxDevFlipDL,
            single: check.maxDevSingle,
            cosine: check.maxDevCosine,
          }
        : null,
      decisions_differ: check ? check.decisionsDiffer.length : null,
      env: 'chromium',
    };
    log(
      `analysis epoch (${preset}) on ${row.analysis_engine}${row.adapter ? ` (${row.adapter}${/swiftshader|llvmpipe/i.test(String(row.adapter)) ? ': software, NOT indicative of a GPU' : ''})` : ''}: median ${row.median_ms} ms, R = ${row.R}, Rm = ${row.Rm}, single = ${row.single}, stages ${JSON.stringify(row.stages_ms ?? {})}, max_dev_f64 ${JSON.stringify(row.max_dev_f64)}`,
    );
    rows.push(row);
  }
  return rows;
}
