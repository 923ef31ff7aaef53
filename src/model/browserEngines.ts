/**
 * The engine registry as the browser's training worker assembles it: the hand-written engine
 * with kernels served by the app, and tfjs on webgl / wasm / cpu. Browser-only (backend.ts).
 *
 * and the fused GPU engines (src/model/fused): each trainer owns its own WebGL2 context / WebGPU
 * device and reports its loss through isLost(), so they need no shared-context hooks.
 */
import type { EngineEntry, EngineRegistry } from './engines';
import { CELL_REFUSAL, FUSED_CELLS, fastEngineEntries, tfjsEngineEntry } from './engines';
import type { RnnModelOptions } from './rnn';
import { startTfjsBackend } from './tfjsBackend';
import { isContextLost, loseContext, resetWebglBackend } from './gpuContext';
import { createFusedWebglTrainer, fusedWebglSupport } from './fused/webgl';
import { createFusedWebgpuTrainer, webgpuAvailable } from './fused/webgpu';

/** The fused engines' kernels are the tanh recurrence: a gated run never reaches them (EngineEntry.cells), and this guards the rest. */
const vanilla = (o: RnnModelOptions) => (o.cell ?? 'rnn') === 'rnn';

/** fused-webgpu: WGSL compute on a device of its own (needs navigator.gpu: a secure context and an adapter). */
const fusedWebgpuEntry: EngineEntry = {
  id: 'fused-webgpu',
  gpu: true,
  cells: FUSED_CELLS,
  fallback: ['fused-webgl', 'tfjs-webgl', 'fast-wasm'],
  async available() {
    const a = await webgpuAvailable();
    return a.ok ? { ok: true, info: { engine: 'fused-webgpu', renderer: a.adapter, floatPrecision: 32 } } : { ok: false, why: a.why };
  },
  create: (o) => (vanilla(o) ? createFusedWebgpuTrainer(o) : Promise.reject(new Error(CELL_REFUSAL))),
};

/** fused-webgl: WebGL2 fragment shaders on a context of its own, float32 render targets required. */
const fusedWebglEntry: EngineEntry = {
  id: 'fused-webgl',
  gpu: true,
  cells: FUSED_CELLS,
  fallback: ['tfjs-webgl', 'fast-wasm'],
  async available() {
    const s = fusedWebglSupport();
    return s.ok ? { ok: true, info: { engine: 'fused-webgl', renderer: s.renderer, floatPrecision: 32 } } : { ok: false, why: s.reason };
  },
  create: (o) => (vanilla(o) ? createFusedWebglTrainer(o) : Promise.reject(new Error(CELL_REFUSAL))),
};

/** The registry of a worker whose app serves kernels/ under `appBase`. */
export function browserEngineRegistry(appBase: string): EngineRegistry {
  const loadKernels = async () => {
    const res = await fetch(new URL('kernels/fast_rnn.wasm', appBase).href);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.arrayBuffer();
  };
  return {
    'fused-webgpu': fusedWebgpuEntry,
    'fused-webgl': fusedWebglEntry,
    ...fastEngineEntries(loadKernels),
    'tfjs-webgl': tfjsEngineEntry('tfjs-webgl', () => startTfjsBackend('webgl'), {
      lost: isContextLost,
      loseContext,
      reset: resetWebglBackend,
    }),
    'tfjs-wasm': tfjsEngineEntry('tfjs-wasm', () => startTfjsBackend('wasm')),
    'tfjs-cpu': tfjsEngineEntry('tfjs-cpu', () => startTfjsBackend('cpu')),
  };
}
