/// <reference lib="webworker" />
/**
 * The edge-of-chaos worker: random-network spectra and lambda_1(g) curves for the app's chaos view
 * (src/core/dynamics/chaosView.ts), off the main thread, with the float64 WASM SIMD kernels when
 * they load (as analysis.worker.ts; the pure-JS ones give the same numbers, slower).
 */
import { chaosViewCurve, chaosViewSettings, chaosViewSpectrum } from '../core/dynamics/chaosView';
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../core/kernels/wasm';
import type { ChaosCommand, ChaosEvent } from './chaosProtocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: ChaosEvent) => ctx.postMessage(ev);

function kernelUrl(): string {
  const base = import.meta.env.BASE_URL;
  return base.startsWith('/')
    ? new URL(`${base}kernels/analysis.wasm`, self.location.origin).href
    : new URL('../kernels/analysis.wasm', self.location.href).href;
}

const kernelsReady: Promise<void> = (async () => {
  if (!wasmSimdAvailable()) return;
  try {
    const res = await fetch(kernelUrl());
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    setAnalysisKernels(await createWasmAnalysisKernels(await res.arrayBuffer()));
  } catch (err) {
    console.warn(`chaos worker: WASM kernels unavailable, using JS (${(err as Error).message})`);
  }
})();

ctx.onmessage = async (e: MessageEvent<ChaosCommand>) => {
  const cmd = e.data;
  await kernelsReady;
  const t0 = performance.now();
  try {
    if (cmd.type === 'spectrum') {
      const result = chaosViewSpectrum(cmd.g, chaosViewSettings(cmd.hidden, cmd.k, cmd.drive));
      post({ type: 'spectrum', id: cmd.id, result, ms: performance.now() - t0 });
    } else {
      const result = chaosViewCurve(chaosViewSettings(cmd.hidden, 1, cmd.drive));
      post({ type: 'curve', id: cmd.id, result, ms: performance.now() - t0 });
    }
  } catch (err) {
    post({ type: 'error', id: cmd.id, message: (err as Error).message });
  }
};
