/// <reference lib="webworker" />
/**
 * The edge-of-chaos worker: random-network spectra and lambda_1(g) curves for the app's chaos view
 * (src/core/dynamics/chaosView.ts), off the main thread, with the float64 WASM SIMD kernels when
 * they load (as analysis.worker.ts; the pure-JS ones give the same numbers, slower).
 */
import { chaosViewCurve, chaosViewSettings, chaosViewSpectrum } from '../core/dynamics/chaosView';
import { loadAnalysisKernels } from './analysisKernelsLoader';
import type { ChaosCommand, ChaosEvent } from './chaosProtocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: ChaosEvent) => ctx.postMessage(ev);

const kernelsReady: Promise<void> = loadAnalysisKernels('chaos worker');

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
