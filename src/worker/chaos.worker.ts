/// <reference lib="webworker" />
/**
 * The edge-of-chaos worker: random-network spectra and lambda_1(g) curves for the app's chaos view
 * (src/core/dynamics/chaosView.ts), off the main thread, with the float64 WASM SIMD kernels when
 * they load (as analysis.worker.ts; the pure-JS ones give the same numbers, slower). The spectrum
 * at the slider's gain runs on the WebGPU analysis engine when a hardware adapter exists
 * (gpuRandomNetworkSpectrum, float32 ln r within method §10); a software adapter (SwiftShader) is
 * slower than the WASM kernels and is not used; a GPU failure or lost device re-runs it on the CPU.
 */
import { CHAOS_VIEW, chaosViewCurve, chaosViewSettings, chaosViewSpectrum } from '../core/dynamics/chaosView';
import { type GpuAnalysisDevice, gpuRandomNetworkSpectrum, probeGpuAdapter, requestAnalysisDevice } from '../model/gpuAnalysis';
import { loadAnalysisKernels } from './analysisKernelsLoader';
import type { ChaosCommand, ChaosEvent } from './chaosProtocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (ev: ChaosEvent) => ctx.postMessage(ev);

const kernelsReady: Promise<void> = loadAnalysisKernels('chaos worker');

let gpu: Promise<GpuAnalysisDevice | null> | null = null;
/** The hardware GPU device, or null (none, software only, or refused); a lost device is asked for again next time. */
async function gpuDevice(): Promise<GpuAnalysisDevice | null> {
  gpu ??= (async () => {
    const info = await probeGpuAdapter();
    if (!info || info.software) return null;
    try {
      return await requestAnalysisDevice();
    } catch {
      return null;
    }
  })();
  const dev = await gpu;
  if (dev?.isLost()) {
    gpu = null;
    return null;
  }
  return dev;
}

ctx.onmessage = async (e: MessageEvent<ChaosCommand>) => {
  const cmd = e.data;
  await kernelsReady;
  const t0 = performance.now();
  try {
    if (cmd.type === 'spectrum') {
      const settings = chaosViewSettings(cmd.hidden, cmd.k, cmd.drive);
      const dev = await gpuDevice();
      let fallback: string | undefined;
      if (dev) {
        try {
          const result = await gpuRandomNetworkSpectrum(dev, cmd.g, CHAOS_VIEW.seed, settings);
          post({ type: 'spectrum', id: cmd.id, result, ms: performance.now() - t0, engine: 'gpu' });
          return;
        } catch (err) {
          fallback = `the GPU failed (${(err as Error).message}); computed on the CPU`;
        }
      }
      const result = chaosViewSpectrum(cmd.g, { ...settings, k: Math.min(settings.k, CHAOS_VIEW.cpuMaxK) });
      post({ type: 'spectrum', id: cmd.id, result, ms: performance.now() - t0, engine: 'cpu', ...(fallback ? { fallback } : {}) });
    } else {
      const result = chaosViewCurve(chaosViewSettings(cmd.hidden, 1, cmd.drive));
      post({ type: 'curve', id: cmd.id, result, ms: performance.now() - t0 });
    }
  } catch (err) {
    post({ type: 'error', id: cmd.id, message: (err as Error).message });
  }
};
