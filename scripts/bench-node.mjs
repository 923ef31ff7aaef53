#!/usr/bin/env node
/**
 * The Node half of `npm run bench` (bundled by scripts/bench.mjs with esbuild, which resolves the
 * TypeScript sources and tfjs's extensionless ESM imports that plain Node refuses): training steps of
 * the engines that run in Node (tfjs-cpu, tfjs-wasm, fast-js, fast-wasm; core/engines.ts ids), and the
 * QR iteration of the analysis. Prints progress on stderr and ONE JSON line
 * {"results": [...]} last on stdout.
 * Options (env): BENCH_CONFIGS="T:N,..." (default: all of TRAIN_CONFIGS), BENCH_BACKENDS
 * (comma list of engine ids; default all four), BENCH_ANALYSIS=0 to skip the analysis.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { resolve } from 'node:path';
import { TRAIN_CONFIGS, repsFor, benchTrainer, benchModelOptions, benchAnalysis } from '../src/bench/trainBench.ts';
import { ENGINE_IDS, normalizeEngineId } from '../src/core/engines.ts';
import { fastEngineEntries, tfjsCpuStart, tfjsEngineEntry } from '../src/model/engines.ts';
import { setAnalysisKernels } from '../src/core/kernels/index.ts';
import { createWasmAnalysisKernels } from '../src/core/kernels/wasm.ts';

const log = (...a) => console.error('[bench-node]', ...a);
const configs = process.env.BENCH_CONFIGS
  ? process.env.BENCH_CONFIGS.split(',').map((s) => {
      const [T, N] = s.split(':').map(Number);
      return { T, D: T === 28 ? 28 : 1, N, B: 64 };
    })
  : TRAIN_CONFIGS;
const results = [];
const env = 'node';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
setWasmPaths(resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
// Some backend must be live before tf.memory() is read (the fast engines' rows read it too).
await tf.setBackend('cpu');
// The engines that run in Node, through the same registry entries as the app.
const registry = {
  ...fastEngineEntries(async () => readFileSync('public/kernels/fast_rnn.wasm')),
  'tfjs-cpu': tfjsEngineEntry('tfjs-cpu', tfjsCpuStart),
  'tfjs-wasm': tfjsEngineEntry('tfjs-wasm', async () => {
    if (!(await tf.setBackend('wasm'))) throw new Error("setBackend('wasm') failed");
    return { renderer: 'WebAssembly (tfjs wasm)', floatPrecision: 32 };
  }),
};
const wanted = (process.env.BENCH_BACKENDS ?? ENGINE_IDS.filter((id) => registry[id]).join(',')).split(',').map(normalizeEngineId);
for (const c of configs) {
  for (const id of wanted) {
    const entry = registry[id];
    if (!entry) {
      log(`engine ${id} does not run in Node`);
      continue;
    }
    const a = await entry.available();
    if (!a.ok) {
      log(`engine ${id} unavailable: ${a.why}`);
      continue;
    }
    // The slow tfjs backends get fewer repetitions (a tfjs-cpu T = 784 step takes ~6 s).
    const { warmup, reps } = repsFor(c.T, id.startsWith('tfjs'));
    const row = await benchTrainer(id, await entry.create(benchModelOptions(c)), c, warmup, reps, env);
    log(`${row.backend} T=${c.T} N=${c.N}: median ${row.median_ms} ms (min ${row.min_ms}, max ${row.max_ms})`);
    results.push(row);
  }
}

if (process.env.BENCH_ANALYSIS !== '0') {
  // k = 16 on 16 probes at every T; the full spectrum (k = N = 128) on one probe at T = 784.
  // Both kernel sets: the WASM SIMD ones are what the app's analysis worker and the CLI use.
  const wasmMat = await createWasmAnalysisKernels(readFileSync(resolve('public/kernels/analysis.wasm')));
  for (const kernels of [null, wasmMat]) {
    setAnalysisKernels(kernels);
    for (const [T, k, probes, reps] of [
      [28, 16, 16, 5],
      [196, 16, 16, 3],
      [784, 16, 16, 2],
      [784, 128, 1, 1],
    ]) {
      const row = benchAnalysis(T, 128, k, probes, reps, env);
      log(`analysis qr (${row.kernels}) T=${T} k=${k} probes=${probes}: median ${row.median_ms} ms`);
      results.push(row);
    }
  }
}
console.log(JSON.stringify({ results }));
