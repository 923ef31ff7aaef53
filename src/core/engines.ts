/**
 * Training engine ids: the ONE list used by the URL `backend=` key (formats/config.ts), the
 * badge, `metrics.engine` in snapshots and run bundles (snapshot.ts, formats/bundle.ts) and the
 * bench rows (src/bench, scripts/bench*.mjs). Old spellings are mapped here and nowhere else.
 *
 * - fused-webgpu / fused-webgl: whole-epoch GPU engines (WGSL compute / WebGL2 shaders);
 * - fast-wasm: the hand-written BPTT engine with WebAssembly SIMD kernels; fast-js: the same
 *   engine with plain JavaScript kernels (recorded only: what fast-wasm falls back to without SIMD);
 * - tfjs-webgl / tfjs-wasm / tfjs-cpu: the tfjs RnnModel on that tfjs backend.
 * Pure data: no tfjs, no DOM (src/core).
 */

/** Engines that can train an epoch, as recorded in `metrics.engine` and bench rows. */
export const ENGINE_IDS = ['fused-webgpu', 'fused-webgl', 'fast-wasm', 'fast-js', 'tfjs-webgl', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type EngineId = (typeof ENGINE_IDS)[number];

/**
 * What a link may ask for (`backend=`): `auto` (timed choice) or one engine. `fast-js` is not
 * offered: it is only what fast-wasm becomes where WebAssembly SIMD is missing.
 */
export const ENGINE_CHOICES = ['auto', 'fused-webgpu', 'fused-webgl', 'fast-wasm', 'tfjs-webgl', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/**
 * Old `backend=` values (links and saved configs before the engine ids): `wasm` meant the
 * hand-written engine, `webgl` and `cpu` tfjs on that backend.
 */
export const LEGACY_BACKEND_NAMES: Readonly<Record<string, EngineChoice>> = { webgl: 'tfjs-webgl', wasm: 'fast-wasm', cpu: 'tfjs-cpu' };

/** Old `metrics.engine` values in saved runs and bundles. */
export const LEGACY_ENGINE_IDS: Readonly<Record<string, EngineId>> = { 'fast-wasm-simd': 'fast-wasm' };

/** A `backend=` value with old spellings mapped (anything else passes through for validation). */
export function normalizeEngineChoice(value: unknown): unknown {
  return typeof value === 'string' && Object.hasOwn(LEGACY_BACKEND_NAMES, value) ? LEGACY_BACKEND_NAMES[value] : value;
}

/** A recorded engine id with old spellings mapped (anything else passes through for validation). */
export function normalizeEngineId(value: unknown): unknown {
  return typeof value === 'string' && Object.hasOwn(LEGACY_ENGINE_IDS, value) ? LEGACY_ENGINE_IDS[value] : value;
}

/** Where an engine computes and through which API, in the words the badge uses. */
export const ENGINE_KIND: Readonly<Record<EngineId, { device: 'CPU' | 'GPU'; api: string; library: string }>> = {
  'fused-webgpu': { device: 'GPU', api: 'WebGPU', library: 'fused engine (whole epoch on the GPU)' },
  'fused-webgl': { device: 'GPU', api: 'WebGL', library: 'fused engine (whole epoch on the GPU)' },
  'fast-wasm': { device: 'CPU', api: 'WebAssembly SIMD', library: 'hand-written BPTT engine' },
  'fast-js': { device: 'CPU', api: 'JavaScript', library: 'hand-written BPTT engine' },
  'tfjs-webgl': { device: 'GPU', api: 'WebGL', library: 'TensorFlow.js' },
  'tfjs-wasm': { device: 'CPU', api: 'WebAssembly', library: 'TensorFlow.js' },
  'tfjs-cpu': { device: 'CPU', api: 'JavaScript', library: 'TensorFlow.js' },
};

/**
 * The engine now training, as the worker reports it to the UI (ready / contextLost events).
 * `renderer`: the WebGL renderer or WebGPU adapter string for GPU engines, a short label for CPU ones.
 */
export interface EngineInfo {
  engine: EngineId;
  renderer: string;
  /** Bits of float precision the engine computes with, measured for WebGL (never below 32 is chosen). */
  floatPrecision: 32 | 16;
  /** Why the requested engine was not used (each failed attempt, in order); absent when it was. */
  fallbackReason?: string;
  /** How `auto` chose (steady-state timings, engines dropped and why); shown in the tooltip. */
  note?: string;
  /** Threads the engine trains on (the hand-written engine, `threads=`); absent: 1. */
  threads?: number;
  /** How the thread count was chosen, or why fewer threads than asked train; shown in the tooltip. */
  threadsNote?: string;
}

/** "fast-wasm" on one thread, "fast-wasm × 2 threads" on more (the Training panel, the tooltip). */
export function engineLabel(engine: EngineId, threads = 1): string {
  return threads > 1 ? `${engine} × ${threads} threads` : engine;
}

/** The badge in plain words: "CPU · WebAssembly SIMD", "GPU · WebGL · <renderer>", "GPU · WebGPU · <adapter>". */
export function engineBadgeText(info: Pick<EngineInfo, 'engine' | 'renderer'>): string {
  const k = ENGINE_KIND[info.engine];
  return k.device === 'GPU' ? `GPU · ${k.api} · ${info.renderer}` : `CPU · ${k.api}`;
}

/** The badge's tooltip: engine id and library, precision, renderer, then fallback reasons and auto's timings. */
export function engineTooltip(info: EngineInfo): string {
  const k = ENGINE_KIND[info.engine];
  return [
    `${engineLabel(info.engine, info.threads)}: ${k.library} on the ${k.device} (${k.api}), float${info.floatPrecision}`,
    info.renderer,
    info.fallbackReason && `fallback: ${info.fallbackReason}`,
    info.note,
    info.threadsNote && `threads: ${info.threadsNote}`,
  ]
    .filter(Boolean)
    .join(' — ');
}
