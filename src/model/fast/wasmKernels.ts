/**
 * FastKernels backed by the WASM SIMD module public/kernels/fast_rnn.wasm (AssemblyScript source in
 * src/kernels/fast_rnn.ts, rebuilt by scripts/build-kernels.mjs). The heap is the module's linear
 * memory; offsets are float indices, as for the JS kernels.
 */
import { gemmInDepthChunks, type FastKernels } from './kernels';

interface FastRnnExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(c: number, a: number, sam: number, sak: number, b: number, M: number, K: number, N: number, accumulate: number): void;
  tanh(x: number, n: number): void;
  tanhGrad(dA: number, dH: number, H: number, n: number): void;
}

// The smallest module using a v128 instruction: (func (result v128) (v128.const i32x4 0 0 0 0)).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** Whether this runtime has WebAssembly with the fixed-width SIMD proposal (Chrome >= 91, Node >= 16.4). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const PAGE_BYTES = 65536;

/**
 * Instantiates the kernels from the module's bytes (fetch them in the browser, read the file in
 * Node). Rejects when WebAssembly SIMD is unavailable: use createJsKernels then.
 */
export async function createWasmKernels(bytes: BufferSource): Promise<FastKernels> {
  if (!wasmSimdSupported()) throw new Error('WebAssembly SIMD is not available in this runtime');
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: {
      abort: () => {
        throw new Error('fast_rnn.wasm aborted');
      },
    },
  });
  const ex = instance.exports as unknown as FastRnnExports;
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
    gemm: (c, a, sam, sak, b, M, K, N, accumulate) =>
      gemmInDepthChunks(c, a, sam, sak, b, M, K, N, accumulate, (c2, a2, s1, s2, b2, m2, k2, n2, acc2) => ex.gemm(c2, a2, s1, s2, b2, m2, k2, n2, acc2 ? 1 : 0)),
    tanh: (x, n) => ex.tanh(x, n),
    tanhGrad: (dA, dH, H, n) => ex.tanhGrad(dA, dH, H, n),
  };
}
