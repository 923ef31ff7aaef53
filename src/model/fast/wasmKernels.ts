/**
 * TrainingKernels backed by the WASM SIMD module public/kernels/fast_rnn.wasm (AssemblyScript source in
 * src/kernels/fast_rnn.ts, rebuilt by scripts/build-kernels.mjs). The heap is the module's linear
 * memory; offsets are float indices, as for the JS kernels.
 */
import { gemmInDepthChunks, type TrainingKernels } from './kernels';
import { instantiateSimdModule } from '../../core/kernels/wasm';

interface FastRnnExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(c: number, a: number, sam: number, sak: number, b: number, M: number, K: number, N: number, accumulate: number): void;
  tanh(x: number, n: number): void;
  tanhGrad(dA: number, dH: number, H: number, n: number, flushBelow: number): void;
  flushTiny(x: number, n: number, flushBelow: number): void;
}

const PAGE_BYTES = 65536;

/**
 * Instantiates the kernels from the module's bytes (fetch them in the browser, read the file in
 * Node). Rejects when WebAssembly SIMD is unavailable: use createJsTrainingKernels then.
 */
export async function createWasmTrainingKernels(bytes: BufferSource): Promise<TrainingKernels> {
  const ex = (await instantiateSimdModule(bytes, 'fast_rnn.wasm')) as unknown as FastRnnExports;
  const base = ex.heapBase() >> 2;
  let view = new Float32Array(ex.memory.buffer);
  return {
    kind: 'wasm-simd',
    heap() {
      // memory.grow detaches the old buffer: refresh the view whenever it changed.
      if (view.buffer !== ex.memory.buffer) view = new Float32Array(ex.memory.buffer);
      return view;
    },
    base: () => base,
    reserve(floats: number) {
      const need = floats * 4;
      const have = ex.memory.buffer.byteLength;
      if (need > have) ex.memory.grow(Math.ceil((need - have) / PAGE_BYTES));
      view = new Float32Array(ex.memory.buffer);
    },
    gemm: gemmInDepthChunks((c, a, sam, sak, b, M, K, N, accumulate) => ex.gemm(c, a, sam, sak, b, M, K, N, accumulate ? 1 : 0)),
    tanh: (x, n) => ex.tanh(x, n),
    // An absent threshold must reach the module as 0 (IEEE), not as undefined -> NaN.
    tanhGrad: (dA, dH, H, n, flushBelow = 0) => ex.tanhGrad(dA, dH, H, n, flushBelow),
    flushTiny: (x, n, flushBelow) => ex.flushTiny(x, n, flushBelow),
  };
}
