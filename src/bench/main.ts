/**
 * The in-browser bench page (bench.html): times training steps of every engine the app can train
 * with in this browser, built through the same engine registry as the training worker (so a
 * registry entry added for a new engine is benched too), then publishes
 * window.__benchResult = {results, webgl_renderer, user_agent, errors} for scripts/bench.mjs.
 * Query: ?configs=T:N,...&engines=<engine ids> (default: every engine in the registry but tfjs-cpu)
 * &threads=1,2 (the hand-written engine on each W; rows then carry `threads`).
 * &webgpu_tuning=batchPerWorkgroup=1|workgroupSize=256,stepKernels=1 (after each fused-webgpu
 * row): one more row per '|'-separated variant of FusedWebgpuTuning's knobs, with `tuning` set.
 * ?analysis_workers=1,2,4 (&analysis_reps=3): one pixel-preset epoch analysis through the app's
 * analysis pool of that many Web Workers (analysisEpochBench.ts), rows with `workers`, published
 * as window.__benchResult.results (the step configs are skipped).
 * ?analysis_gpu=pixel,paper-sensitivity (&analysis_engine=gpu|cpu, default gpu; &analysis_reps=3;
 * &analysis_workers_n=2): one epoch analysis per preset through the app's pool on that engine, the
 * paper's full plan on the GPU (analysisEpochBench.ts gpuEpochRows: rows with analysis_engine,
 * adapter, stages_ms, R, Rm, single, max_dev_f64), published as window.__benchResult.results.
 * &epoch=<preset> (after the step rows): one whole training epoch of that preset on the bundled
 * digits with each listed engine, through trainEpochWith as the app's run loop calls it, published
 * as window.__benchResult.epochs (EpochRow: wall ms, batches, median ms per batch).
 * ?chaos_gpu=N,k,steps,transient (&chaos_reps=3, &chaos_cpu=1): the edge-of-chaos spectrum of one
 * random network (g = 1.5) on the GPU analysis engine (gpuRandomNetworkSpectrum; one warm-up, then
 * chaos_reps timed runs) and, with chaos_cpu=1, once with the float64 CPU kernels of this page;
 * rows {chaos_engine, adapter, N, k, steps, transient, ms, lambda1}, published as
 * window.__benchResult.results (issue 20's target: N = 256, k = 256, T = 500 in <= 1 s).
 * ?switches=K instead: K engine switches through the registry over every available engine (T = 28,
 * N = 32, batch 16), published as window.__switchResult (test/e2e/engines.e2e.ts checks nothing grows).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ENGINE_IDS, ENGINE_KIND, normalizeEngineId, type EngineId } from '../core/engines';
import { browserEngineRegistry } from '../model/browserEngines';
import { buildModel, type EngineEntry, type EngineRegistry } from '../model/engines';
import { trainEpochWith } from '../model/trainer';
import type { FusedWebgpuTuning } from '../model/fused/webgpu';
import type { RnnModelOptions } from '../model/rnn';
import { PRESET_CONFIGS, PRESETS, type Preset } from '../core/formats/config';
import { resolveRunOptions } from '../run/options';
import { fetchMnistAsset } from '../data/mnistAsset';
import { analysisWorkerSpawner } from '../worker/client';
import { epochRows, gpuEpochRows, WARM_EPOCHS } from './analysisEpochBench';
import { randomNetworkSpectrum } from '../core/dynamics/edgeOfChaos';
import { gpuRandomNetworkSpectrum, probeGpuAdapter, requestAnalysisDevice } from '../model/gpuAnalysis';
import {
  TRAIN_CONFIGS,
  repsFor,
  benchTrainer,
  benchModelOptions,
  engineSwitches,
  type SwitchRow,
  type TrainConfig,
  type TrainRow,
} from './trainBench';

declare global {
  interface Window {
    __benchResult?: {
      results: TrainRow[];
      epochs?: EpochRow[];
      webgl_renderer: string;
      user_agent: string;
      errors: string[];
      /** navigator.hardwareConcurrency (the analysis_workers mode). */
      cores?: number;
    };
    /** ?switches=K: the memory after each of K engine switches (engineSwitches), or the error. */
    __switchResult?: { engines: EngineId[]; rows: SwitchRow[]; error?: string };
  }
}

/** One whole training epoch of a preset (epoch=<preset>): what the app's run loop would spend training it. */
interface EpochRow {
  phase: 'epoch';
  preset: Preset;
  backend: EngineId;
  T: number;
  N: number;
  B: number;
  /** Training digits in the epoch and batches trained. */
  samples: number;
  batches: number;
  /** Wall time of trainEpochWith (encoding, every step, every loss read back), ms. */
  epoch_ms: number;
  /** Median and spread of the per-batch wall times, ms. */
  median_batch_ms: number;
  min_batch_ms: number;
  max_batch_ms: number;
  loss: number;
  acc: number;
  gpu?: string;
}

/**
 * Trains one epoch (epoch 1, the preset's seed and batch) of `preset` on `engine` from a fresh
 * seeded model, exactly as the run loop does (trainEpochWith), after one warm-up batch on a
 * separate model so shader compilation is not counted.
 */
async function epochRow(registry: EngineRegistry, engine: EngineId, preset: Preset, gpu?: string): Promise<EpochRow> {
  const config = PRESET_CONFIGS[preset];
  const { spec, model: opts } = resolveRunOptions(config);
  const dataset = await fetchMnistAsset(new URL('data/mnist-10k.bin', document.baseURI).href);
  const warm = await buildModel(registry, engine, opts);
  await trainEpochWith(warm, dataset.train, spec, {
    batchSize: config.batch,
    seed: config.seed,
    epoch: 1,
    subset: config.batch / dataset.train.labels.length,
  });
  warm.dispose();
  const model = await buildModel(registry, engine, opts);
  const batchMs: number[] = [];
  const r = await trainEpochWith(model, dataset.train, spec, {
    batchSize: config.batch,
    seed: config.seed,
    epoch: 1,
    onBatch: (b) => batchMs.push(b.ms),
  });
  model.dispose();
  const sorted = [...batchMs].sort((a, b) => a - b);
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    phase: 'epoch',
    preset,
    backend: engine,
    T: spec.T,
    N: config.hidden,
    B: config.batch,
    samples: r.samples,
    batches: r.batches,
    epoch_ms: r2(r.ms),
    median_batch_ms: r2(sorted[Math.floor(sorted.length / 2)]),
    min_batch_ms: r2(sorted[0]),
    max_batch_ms: r2(sorted[sorted.length - 1]),
    loss: r.loss,
    acc: r.acc,
    ...(gpu ? { gpu } : {}),
  };
}

/**
 * Engine `e`'s registry entry when it can train in this browser, with the renderer / adapter string
 * of a GPU engine; throws why not (an unknown id, not in this build, or not available here).
 */
async function usableEngine(registry: EngineRegistry, e: string): Promise<{ id: EngineId; entry: EngineEntry; gpu?: string }> {
  if (!(ENGINE_IDS as readonly string[]).includes(e)) throw new Error(`unknown engine (expected ${ENGINE_IDS.join(' | ')})`);
  const id = e as EngineId;
  const entry = registry[id];
  if (!entry) throw new Error('not in this build');
  const a = await entry.available();
  if (!a.ok) throw new Error(a.why);
  return { id, entry, gpu: ENGINE_KIND[id].device === 'GPU' ? a.info.renderer : undefined };
}

/** `key=value,key=value` of FusedWebgpuTuning (numbers; stepKernels=1 for true); unknown keys are refused. */
function parseTuning(text: string): FusedWebgpuTuning {
  const known = ['batchPerWorkgroup', 'forwardSteps', 'backwardChunk', 'workgroupSize', 'stepKernels'];
  const t: Record<string, number | boolean> = {};
  for (const kv of text.split(',')) {
    const [k, v] = kv.split('=');
    if (!known.includes(k) || !Number.isFinite(Number(v)))
      throw new Error(`webgpu_tuning: bad knob "${kv}" (expected ${known.join(' | ')}=<number>)`);
    t[k] = k === 'stepKernels' ? Number(v) !== 0 : Number(v);
  }
  return t as FusedWebgpuTuning;
}

/** The WebGL renderer string (SwiftShader when software-rendered), or "none". */
function webglRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return 'none';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/**
 * Runs one analysis bench (rows of the pool or GPU epoch bench) and publishes its rows as
 * window.__benchResult.results with the page's identity and core count; a failure becomes an
 * entry of `errors` prefixed with `label`.
 */
async function publishAnalysisRows(label: string, bench: () => Promise<Record<string, unknown>[]>): Promise<void> {
  const errors: string[] = [];
  let rows: Record<string, unknown>[] = [];
  try {
    rows = await bench();
  } catch (err) {
    errors.push(`${label}: ${(err as Error).message}`);
  }
  publishRows(rows, errors);
}

/** Shows `rows` on the page and publishes them as window.__benchResult with the page's identity and core count. */
function publishRows(rows: Record<string, unknown>[], errors: string[]): void {
  document.getElementById('out')!.textContent = JSON.stringify(rows, null, 1);
  window.__benchResult = {
    results: rows as unknown as TrainRow[],
    webgl_renderer: webglRenderer(),
    user_agent: navigator.userAgent,
    errors,
    cores: navigator.hardwareConcurrency,
  };
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const configs: TrainConfig[] = q.get('configs')
    ? q
        .get('configs')!
        .split(',')
        .map((s) => {
          const [T, N] = s.split(':').map(Number);
          return { T, D: T === 28 ? 28 : 1, N, B: 64 };
        })
    : TRAIN_CONFIGS;
  // Some tfjs backend must be live before tf.memory() is read (rows of non-tfjs engines read it too).
  await tf.ready();
  const registry = browserEngineRegistry(document.baseURI);
  if (q.get('switches')) {
    const engines: EngineId[] = [];
    for (const id of ENGINE_IDS) if (registry[id] && (await registry[id].available()).ok) engines.push(id);
    try {
      window.__switchResult = {
        engines,
        rows: await engineSwitches(registry, engines, Number(q.get('switches')), { T: 28, D: 28, N: 32, B: 16 }),
      };
    } catch (err) {
      window.__switchResult = { engines, rows: [], error: (err as Error).message };
    }
    document.getElementById('out')!.textContent = JSON.stringify(window.__switchResult, null, 1);
    return;
  }
  if (q.get('chaos_gpu')) {
    const [N = 256, k = N, steps = 400, transient = 100] = q.get('chaos_gpu')!.split(',').map(Number);
    const errors: string[] = [];
    const rows: Record<string, unknown>[] = [];
    const settings = { hidden: N, k, steps, transient, drive: null };
    try {
      const info = await probeGpuAdapter();
      const dev = await requestAnalysisDevice();
      await gpuRandomNetworkSpectrum(dev, 1.5, 0, settings);
      for (let r = 0; r < Number(q.get('chaos_reps') ?? 3); r++) {
        const t0 = performance.now();
        const res = await gpuRandomNetworkSpectrum(dev, 1.5, 0, settings);
        rows.push({
          chaos_engine: 'gpu',
          adapter: info?.adapter ?? '',
          N,
          k,
          steps,
          transient,
          ms: performance.now() - t0,
          lambda1: res.spectrum[0],
        });
        console.log(`[bench] chaos gpu N=${N} k=${k} T=${steps}+${transient}: ${(performance.now() - t0).toFixed(0)} ms`);
      }
      dev.destroy();
    } catch (err) {
      errors.push(`chaos gpu: ${(err as Error).message}`);
    }
    if (q.get('chaos_cpu') === '1') {
      const t0 = performance.now();
      const res = randomNetworkSpectrum(1.5, 0, settings);
      rows.push({ chaos_engine: 'cpu-js', adapter: '', N, k, steps, transient, ms: performance.now() - t0, lambda1: res.spectrum[0] });
    }
    publishRows(rows, errors);
    return;
  }
  if (q.get('analysis_gpu')) {
    const presets = q
      .get('analysis_gpu')!
      .split(',')
      .filter((p): p is Preset => (PRESETS as readonly string[]).includes(p));
    const engine = q.get('analysis_engine') === 'cpu' ? 'cpu' : 'gpu';
    await publishAnalysisRows('analysis gpu', () =>
      gpuEpochRows(
        analysisWorkerSpawner(),
        presets,
        engine,
        Number(q.get('analysis_reps') ?? 3),
        Number(q.get('analysis_workers_n') ?? Math.max(1, (navigator.hardwareConcurrency || 2) - 1)),
        (m) => console.log(`[bench] ${m}`),
      ),
    );
    return;
  }
  if (q.get('analysis_workers')) {
    const counts = q
      .get('analysis_workers')!
      .split(',')
      .map(Number)
      .filter((w) => Number.isInteger(w) && w >= 1);
    await publishAnalysisRows('analysis workers', () =>
      epochRows(
        analysisWorkerSpawner(),
        counts,
        Number(q.get('analysis_reps') ?? 3),
        'chromium',
        (m) => console.log(`[bench] ${m}`),
        Number(q.get('analysis_warm') ?? WARM_EPOCHS),
      ),
    );
    return;
  }
  const asked = q.get('engines') ?? q.get('backends');
  const engines = asked
    ? asked.split(',').map((e) => normalizeEngineId(e) as string)
    : // tfjs-cpu is benched in Node (the same code; a T = 784 step takes seconds).
      ENGINE_IDS.filter((id) => registry[id] !== undefined && id !== 'tfjs-cpu');
  // Thread counts for the threaded engines (fast-wasm, fast-js); other engines train on one.
  const threadList = (q.get('threads') ?? '1')
    .split(',')
    .map(Number)
    .filter((w) => Number.isInteger(w) && w >= 1);
  const tuningVariants = (q.get('webgpu_tuning') ?? '')
    .split('|')
    .filter((v) => v.trim())
    .map((text) => ({ text, tuning: parseTuning(text) }));
  const out = document.getElementById('out')!;
  const results: TrainRow[] = [];
  const errors: string[] = [];
  for (const c of configs) {
    for (const e of engines) {
      try {
        const { id, entry, gpu } = await usableEngine(registry, e);
        const { warmup, reps } = repsFor(c.T, id.startsWith('tfjs'));
        for (const w of entry.threaded ? threadList : [1]) {
          const trainer = await entry.create(benchModelOptions(c), w);
          const got = trainer.threads ?? 1;
          const row = await benchTrainer(id, trainer, c, warmup, reps, 'chromium', gpu);
          if (entry.threaded && threadList.length > 1) row.threads = got;
          results.push(row);
          if (id === 'fused-webgpu')
            for (const v of tuningVariants) {
              const tuned = await entry.create({ ...benchModelOptions(c), tuning: v.tuning } as RnnModelOptions, 1);
              results.push({ ...(await benchTrainer(id, tuned, c, warmup, reps, 'chromium', gpu)), tuning: v.text });
            }
          out.textContent = results
            .map((r) => `${r.backend}${r.threads ? ` x${r.threads}` : ''} T=${r.T} N=${r.N}: ${r.median_ms} ms`)
            .join('\n');
          console.log(
            `[bench] ${row.backend}${row.threads ? ` x${row.threads}` : ''} T=${c.T} N=${c.N}: median ${row.median_ms} ms (min ${row.min_ms}, max ${row.max_ms})`,
          );
        }
      } catch (err) {
        errors.push(`${e} T=${c.T} N=${c.N}: ${(err as Error).message}`);
      }
      // Let the page breathe between runs (timers, GC).
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  const epochs: EpochRow[] = [];
  const preset = q.get('epoch');
  if (preset) {
    for (const e of engines) {
      try {
        if (!(PRESETS as readonly string[]).includes(preset)) throw new Error(`unknown preset (expected ${PRESETS.join(' | ')})`);
        const { id, gpu } = await usableEngine(registry, e);
        const row = await epochRow(registry, id, preset as Preset, gpu);
        epochs.push(row);
        out.textContent += `\n${row.backend} epoch ${preset}: ${row.epoch_ms} ms (${row.batches} batches)`;
        console.log(
          `[bench] epoch ${preset} ${row.backend}: ${row.epoch_ms} ms, ${row.batches} batches, median batch ${row.median_batch_ms} ms`,
        );
      } catch (err) {
        errors.push(`${e} epoch ${preset}: ${(err as Error).message}`);
      }
    }
  }
  console.log(`[bench] live tensors at the end: ${tf.memory().numTensors}`);
  window.__benchResult = {
    results,
    ...(preset ? { epochs } : {}),
    webgl_renderer: webglRenderer(),
    user_agent: navigator.userAgent,
    errors,
  };
}

void main();
