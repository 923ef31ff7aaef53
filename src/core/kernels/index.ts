/**
 * Numeric kernels of the float64 analysis behind one small interface, so src/core stays pure
 * TypeScript: a pure-JS implementation (js.ts) is the default, and a caller that can load
 * WebAssembly (the analysis worker, the CLI, tests) injects the WASM SIMD one (wasm.ts, built from
 * src/kernels/analysis.ts) with setAnalysisKernels. Both run every floating-point operation in the
 * same order (see js.ts), so J Q and Gram-Schmidt agree bit for bit; only tanh differs (V8's
 * Math.tanh vs the module's vectorised exp-based tanh, within 4 ulp of each other), so flip-test
 * losses agree to rounding, not bit for bit.
 *
 * Three hot spots: the J Q product of the QR iteration (diag(1 - h^2) W_hh Q), modified
 * Gram-Schmidt, and the flip evaluator's eight-lane tanh-RNN loop.
 *
 * Not to be confused with the training engine's float32 TrainingKernels (src/model/fast/kernels.ts),
 * the AssemblyScript sources of both WASM modules (src/kernels/*.ts) or their builds
 * (public/kernels/*.wasm).
 */
import { jsAnalysisKernels } from './js';

export { RNN_LANES, type AnalysisKernels, type PreparedMatrix, type RnnLaneRunner } from './types';
import type { AnalysisKernels } from './types';

let current: AnalysisKernels = jsAnalysisKernels;

/** The kernels src/core uses now (pure JS unless setAnalysisKernels injected others). */
export function getAnalysisKernels(): AnalysisKernels {
  return current;
}

/** Injects kernels for every later analysis call (null restores the pure-JS default). Returns the previous ones. */
export function setAnalysisKernels(k: AnalysisKernels | null): AnalysisKernels {
  const prev = current;
  current = k ?? jsAnalysisKernels;
  return prev;
}

export { jsAnalysisKernels };
