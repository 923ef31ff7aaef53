/// <reference lib="webworker" />
/**
 * Start-up of the page workers that run src/core's float64 analysis (analysis.worker.ts,
 * chaos.worker.ts): load the WASM SIMD kernels (kernels/analysis.wasm, served from public/) and
 * inject them into src/core. When that fails the pure-JS kernels give the same numbers, only slower.
 */
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../core/kernels/wasm';

/**
 * URL of analysis.wasm: the dev server serves public/ at BASE_URL ('/'); the relative-base build
 * ('./') puts the worker in assets/ and public/ files one folder up.
 */
function kernelUrl(): string {
  const base = import.meta.env.BASE_URL;
  return base.startsWith('/')
    ? new URL(`${base}kernels/analysis.wasm`, self.location.origin).href
    : new URL('../kernels/analysis.wasm', self.location.href).href;
}

/**
 * Resolves once the kernels are chosen (WASM SIMD when it loads, else the pure-JS default); never
 * rejects. `workerName` labels the console warning ("analysis worker", "chaos worker").
 */
export async function loadAnalysisKernels(workerName: string): Promise<void> {
  if (!wasmSimdAvailable()) return;
  try {
    const res = await fetch(kernelUrl());
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    setAnalysisKernels(await createWasmAnalysisKernels(await res.arrayBuffer()));
  } catch (err) {
    console.warn(`${workerName}: WASM kernels unavailable, using JS (${(err as Error).message})`);
  }
}
