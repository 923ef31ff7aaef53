/**
 * Starting one tfjs backend in a BROWSER worker (or page). Browser-only: it imports the wasm
 * binaries as Vite assets (`?url`) so the production build serves them from the app itself, and it
 * touches WebGL. Node code and tests never import this module (they use the cpu backend directly).
 * Which backend to try, and what to fall back to, is the engine registry's business (engines.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type TfjsBackendName = 'webgl' | 'wasm' | 'cpu';

export interface TfjsBackendInfo {
  backend: TfjsBackendName;
  /** GPU/renderer string (UNMASKED_RENDERER_WEBGL when exposed, else RENDERER) for webgl; else a label. */
  renderer: string;
  /** Bits of float precision the backend computes with, MEASURED for webgl (measureWebglPrecision). */
  floatPrecision: 32 | 16;
}

/** setBackend can hang forever (wasm in some cross-origin-isolated builds): give up after this. */
const SET_BACKEND_TIMEOUT_MS = 20_000;

let wasmPathsSet = false;

async function setBackendWithTimeout(name: TfjsBackendName): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`setBackend('${name}') did not finish in ${SET_BACKEND_TIMEOUT_MS / 1000} s`)),
      SET_BACKEND_TIMEOUT_MS,
    );
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
async function tryWebgl(): Promise<TfjsBackendInfo> {
  const env = tf.env();
  const version = env.getNumber('WEBGL_VERSION');
  if (version !== 2) throw new Error(version === 0 ? 'WebGL is not available' : `only WebGL ${version} is available (need WebGL 2)`);
  if (!env.getBool('WEBGL_RENDER_FLOAT32_ENABLED')) throw new Error('WebGL 2 does not render float32 textures here (float16 only)');
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
  // Not backend.floatPrecision(): tfjs answers 16 whenever float32 rendering is enabled.
  return { backend: 'webgl', renderer, floatPrecision: await measureWebglPrecision() };
}

/**
 * The precision the active webgl backend really computes and stores with: 1 + 2^-20 survives a
 * multiply in a shader and a round trip through a texture in float32 (23-bit mantissa) but
 * rounds to 1 in float16 (10-bit). 256 elements keep tfjs from running the op on the CPU
 * (its CPU hand-off is for tensors under 128 elements).
 */
async function measureWebglPrecision(): Promise<32 | 16> {
  const x = 1 + 2 ** -20;
  const r = tf.tidy(() => tf.mul(tf.fill([256], x), tf.ones([256])));
  const v = await r.data();
  r.dispose();
  return v.every((e) => e === Math.fround(x)) ? 32 : 16;
}

/** Tries the single-threaded wasm backend, with binaries served by the app. */
async function tryWasm(): Promise<TfjsBackendInfo> {
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
  // (docs/platform-notes.md): force the single-threaded binary before the backend initialises.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await setBackendWithTimeout('wasm'))) throw new Error("setBackend('wasm') failed");
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { backend: 'wasm', renderer: simd ? 'WebAssembly (SIMD)' : 'WebAssembly', floatPrecision: 32 };
}

async function tryCpu(): Promise<TfjsBackendInfo> {
  if (!(await setBackendWithTimeout('cpu'))) throw new Error("setBackend('cpu') failed");
  return { backend: 'cpu', renderer: 'JavaScript (cpu)', floatPrecision: 32 };
}

const ATTEMPTS: Record<TfjsBackendName, () => Promise<TfjsBackendInfo>> = { webgl: tryWebgl, wasm: tryWasm, cpu: tryCpu };

/**
 * Makes tfjs backend `name` the active one and describes it; throws an Error saying why it cannot
 * (no WebGL 2, no float32 rendering, setBackend failing or hanging).
 */
export function startTfjsBackend(name: TfjsBackendName): Promise<TfjsBackendInfo> {
  return ATTEMPTS[name]();
}
