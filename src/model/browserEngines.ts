/**
 * The engine registry as the browser's training worker assembles it: the hand-written engine
 * with kernels served by the app, and tfjs on webgl / wasm / cpu. Browser-only (backend.ts).
 *
 * The fused GPU engines join here as two entries (shape in engines.ts EngineEntry):
 *   'fused-webgpu': createFusedWebgpuTrainer(opts, device?) and webgpuAvailable() from src/model/fused/webgpu/
 *   'fused-webgl':  createFusedWebglTrainer(opts, gl?) from src/model/fused/webgl/
 * Until then a link asking for them falls back (fused-webgpu -> fused-webgl -> tfjs-webgl -> fast-wasm)
 * and says so.
 */
import type { EngineRegistry } from './engines';
import { fastEngineEntries, tfjsEngineEntry } from './engines';
import { startTfjsBackend } from './backend';
import { isContextLost, loseContext, resetWebglBackend } from './gpuContext';

/** The registry of a worker whose app serves kernels/ under `appBase`. */
export function browserEngineRegistry(appBase: string): EngineRegistry {
  const loadKernels = async () => {
    const res = await fetch(new URL('kernels/fast_rnn.wasm', appBase).href);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.arrayBuffer();
  };
  return {
    ...fastEngineEntries(loadKernels),
    'tfjs-webgl': tfjsEngineEntry('tfjs-webgl', () => startTfjsBackend('webgl'), { lost: isContextLost, loseContext, reset: resetWebglBackend }),
    'tfjs-wasm': tfjsEngineEntry('tfjs-wasm', () => startTfjsBackend('wasm')),
    'tfjs-cpu': tfjsEngineEntry('tfjs-cpu', () => startTfjsBackend('cpu')),
  };
}
