/**
 * The in-browser bench page (bench.html): times training steps with tfjs webgl / wasm / cpu, the
 * FastRnn engine (WASM SIMD and JS kernels) and the fused-webgl GPU engine in this browser, then publishes
 * window.__benchResult = {results, webgl_renderer, user_agent} for scripts/bench.mjs (playwright).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { TRAIN_CONFIGS, repsFor, benchTfjsTrain, benchFastTrain, benchFusedWebglTrain, type TrainConfig, type TrainRow } from './trainBench';
import { createJsKernels } from '../model/fast/kernels';
import { createWasmKernels, wasmSimdSupported } from '../model/fast/wasmKernels';

declare global {
  interface Window {
    __benchResult?: { results: TrainRow[]; webgl_renderer: string; user_agent: string; errors: string[] };
  }
}

/** The WebGL renderer string (SwiftShader when software-rendered), or "none". */
function webglRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return 'none';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const configs: TrainConfig[] = q.get('configs')
    ? q.get('configs')!.split(',').map((s) => {
        const [T, N] = s.split(':').map(Number);
        return { T, D: T === 28 ? 28 : 1, N, B: 64 };
      })
    : TRAIN_CONFIGS;
  const backends = (q.get('backends') ?? 'tfjs-webgl,tfjs-wasm,fast-wasm-simd,fast-js,fused-webgl').split(',');
  const out = document.getElementById('out')!;
  const results: TrainRow[] = [];
  const errors: string[] = [];
  // No COOP/COEP here, and the threaded build gained nothing on 2 cores (platform-notes.md).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', document.baseURI).href);
  const wasmBytes = wasmSimdSupported() ? await (await fetch(new URL('kernels/fast_rnn.wasm', document.baseURI))).arrayBuffer() : null;
  for (const c of configs) {
    for (const b of backends) {
      try {
        const { warmup, reps } = repsFor(c.T, b.startsWith('tfjs'));
        let row: TrainRow;
        if (b.startsWith('tfjs-')) {
          if (!(await tf.setBackend(b.slice(5)))) throw new Error(`tfjs backend ${b} unavailable`);
          await tf.ready();
          row = await benchTfjsTrain(c, warmup, reps, 'chromium');
        } else if (b === 'fast-wasm-simd') {
          if (!wasmBytes) throw new Error('WebAssembly SIMD unavailable');
          row = benchFastTrain(c, await createWasmKernels(wasmBytes), warmup, reps, 'chromium');
        } else if (b === 'fast-js') {
          row = benchFastTrain(c, createJsKernels(), warmup, reps, 'chromium');
        } else if (b === 'fused-webgl') {
          row = await benchFusedWebglTrain(c, warmup, reps, 'chromium');
        } else throw new Error(`unknown backend ${b}`);
        results.push(row);
        out.textContent = results.map((r) => `${r.backend} T=${r.T} N=${r.N}: ${r.median_ms} ms`).join('\n');
        console.log(`[bench] ${row.backend} T=${c.T} N=${c.N}: median ${row.median_ms} ms (min ${row.min_ms}, max ${row.max_ms})`);
      } catch (e) {
        errors.push(`${b} T=${c.T} N=${c.N}: ${(e as Error).message}`);
      }
      // Let the page breathe between runs (timers, GC).
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  window.__benchResult = { results, webgl_renderer: webglRenderer(), user_agent: navigator.userAgent, errors };
}

void main();
