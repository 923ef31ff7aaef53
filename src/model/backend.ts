/**
 * Choosing the tfjs backend in a BROWSER worker (or page). Browser-only: it imports the wasm
 * binaries as Vite assets (`?url`) so the production build serves them from the app itself, and it
 * touches WebGL. Node code and tests never import this module (they use the cpu backend directly).
 *
 * Order for 'auto': webgl (WebGL 2 that can render float32 textures), else wasm, else cpu.
 * An explicit preference is tried first and falls back down the same chain; the result says why.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type BackendPreference = 'auto' | 'webgl' | 'wasm' | 'cpu';
export type BackendName = 'webgl' | 'wasm' | 'cpu';

export interface BackendInfo {
  backend: BackendName;
  /** GPU/renderer string (UNMASKED_RENDERER_WEBGL when exposed, else RENDERER) for webgl; else a label. */
  renderer: string;
  /** Bits of float precision the backend computes with (webgl may be limited to float16). */
  floatPrecision: 32 | 16;
  /** Why a preferred backend was not used (each failed attempt, in order); absent when the first choice worked. */
  fallbackReason?: string;
}

/** setBackend can hang forever (wasm in some cross-origin-isolated builds): give up after this. */
const SET_BACKEND_TIMEOUT_MS = 20_000;

let wasmPathsSet = false;

async function setBackendWithTimeout(name: BackendName): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`setBackend('${name}') did not finish in ${SET_BACKEND_TIMEOUT_MS / 1000} s`)), SET_BACKEND_TIMEOUT_MS);
  });
  try {
    const ok = await Promise.race([tf.setBackend(name), timeout]);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } finally {
    clearTimeout(timer);
  }
}

/** Tries webgl; returns the info or throws an Error saying why it is not usable. */
async function tryWebgl(): Promise<BackendInfo> {
  const env = tf.env();
  const version = env.getNumber('WEBGL_VERSION');
  if (version !== 2) throw new Error(version === 0 ? 'WebGL is not available' : `only WebGL ${version} is available (need WebGL 2)`);
  if (!env.getBool('WEBGL_RENDER_FLOAT32_CAPABLE')) throw new Error('WebGL 2 cannot render float32 textures (float16 only)');
  if (!(await setBackendWithTimeout('webgl'))) throw new Error("setBackend('webgl') failed");
  const backend = tf.backend() as MathBackendWebGL;
  let renderer = 'WebGL 2';
  try {
    const gl = backend.gpgpu.gl as WebGL2RenderingContext;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  } catch {
    // Renderer strings are informational only: keep the generic label.
  }
  return { backend: 'webgl', renderer, floatPrecision: backend.floatPrecision() === 16 ? 16 : 32 };
}

/** Tries the single-threaded wasm backend, with binaries served by the app. */
async function tryWasm(): Promise<BackendInfo> {
  // Importing the package registers the 'wasm' backend factory.
  if (!wasmPathsSet) {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
    });
    wasmPathsSet = true;
  }
  // The threaded build hangs after a minified production build and gave no gain on 2 cores
  // (platform-notes.md): force the single-threaded binary before the backend initialises.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await setBackendWithTimeout('wasm'))) throw new Error("setBackend('wasm') failed");
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { backend: 'wasm', renderer: simd ? 'WebAssembly (SIMD)' : 'WebAssembly', floatPrecision: 32 };
}

async function tryCpu(): Promise<BackendInfo> {
  if (!(await setBackendWithTimeout('cpu'))) throw new Error("setBackend('cpu') failed");
  return { backend: 'cpu', renderer: 'JavaScript (cpu)', floatPrecision: 32 };
}

const ATTEMPTS: Record<BackendName, () => Promise<BackendInfo>> = { webgl: tryWebgl, wasm: tryWasm, cpu: tryCpu };

/**
 * Selects and initialises a tfjs backend. 'auto' = webgl -> wasm -> cpu; 'webgl' the same chain;
 * 'wasm' = wasm -> cpu; 'cpu' = cpu. Never throws unless even cpu fails.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  const chain: BackendName[] = preference === 'cpu' ? ['cpu'] : preference === 'wasm' ? ['wasm', 'cpu'] : ['webgl', 'wasm', 'cpu'];
  const reasons: string[] = [];
  for (const name of chain) {
    try {
      const info = await ATTEMPTS[name]();
      return reasons.length ? { ...info, fallbackReason: reasons.join('; ') } : info;
    } catch (e) {
      reasons.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend could be initialised (${reasons.join('; ')})`);
}
