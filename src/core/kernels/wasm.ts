/**
 * AnalysisKernels backed by the float64 WASM SIMD module public/kernels/analysis.wasm (AssemblyScript
 * source src/kernels/analysis.ts, rebuilt by scripts/build-kernels.mjs). Pure TypeScript: the
 * caller passes the module's bytes (the analysis worker fetches `kernels/analysis.wasm`, Node reads
 * the file) and injects the result with setAnalysisKernels.
 *
 * Memory: the module's linear memory holds named regions (the resident matrix, the lane runner's
 * W_hh and drives, per-call scratch). A region grows geometrically by moving to the top of the heap
 * (the old block is abandoned: at most as large again), so memory stays bounded by about twice the
 * largest working set. One matrix and one lane runner are resident at a time; a handle whose data
 * was displaced by another uploads it again on its next call (correct, only slower).
 */
import type { AnalysisKernels, PreparedMatrix, RnnLaneRunner } from './index';

interface AnalysisExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  vecsTimesMatT(out: number, v: number, mt: number, scale: number, rows: number, cols: number, k: number): void;
  mgs(V: number, S: number, k: number, R: number): void;
  jqMgs(out: number, v: number, mt: number, scale: number, rows: number, cols: number, k: number, R: number): void;
  rnnLanes8(
    h: number,
    h2: number,
    W: number,
    drive: number,
    flipped: number,
    mask: number,
    N: number,
    T: number,
    b: number,
    tStart: number,
  ): number;
}

// The smallest module using a v128 instruction: (func (result v128) (v128.const i32x4 0 0 0 0)).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 11,
]);

/** Whether this runtime has WebAssembly with fixed-width SIMD (Chrome >= 91, Firefox >= 89, Safari >= 16.4, Node >= 16.4). */
export function wasmSimdAvailable(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const PAGE_BYTES = 65536;

/**
 * Instantiates an AssemblyScript kernel module (no imports but `env.abort`) after checking SIMD;
 * shared by these float64 kernels and the training engine's float32 ones (src/model/fast).
 */
export async function instantiateSimdModule(bytes: BufferSource, name: string): Promise<WebAssembly.Exports> {
  if (!wasmSimdAvailable()) throw new Error('WebAssembly SIMD is not available in this runtime');
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: {
      abort: () => {
        throw new Error(`${name} aborted`);
      },
    },
  });
  return instance.exports;
}

/**
 * Instantiates the float64 analysis kernels from the bytes of analysis.wasm. Rejects when
 * WebAssembly SIMD is unavailable (keep the pure-JS default then).
 */
export async function createWasmAnalysisKernels(bytes: BufferSource): Promise<AnalysisKernels> {
  const ex = (await instantiateSimdModule(bytes, 'analysis.wasm')) as unknown as AnalysisExports;
  let top = ex.heapBase() >> 3; // next free float64 index
  let f64 = new Float64Array(ex.memory.buffer);
  let u8 = new Uint8Array(ex.memory.buffer);
  const views = () => {
    // memory.grow detaches the old buffer: refresh the views whenever it changed.
    if (f64.buffer !== ex.memory.buffer) {
      f64 = new Float64Array(ex.memory.buffer);
      u8 = new Uint8Array(ex.memory.buffer);
    }
  };
  const regions = new Map<string, { off: number; cap: number }>();
  /** Which handle's data each shared region holds now. */
  let residentMatrix: object | null = null;
  let residentLanes: object | null = null;
  /** Float64 offset of region `name` holding at least n floats (16-byte aligned). */
  const region = (name: string, n: number): number => {
    const r = regions.get(name);
    if (r && r.cap >= n) return r.off;
    const cap = Math.max(n, r ? 2 * r.cap : 0, 16);
    const off = (top + 1) & ~1;
    top = off + cap;
    const need = top * 8;
    const have = ex.memory.buffer.byteLength;
    if (need > have) ex.memory.grow(Math.ceil((need - have) / PAGE_BYTES));
    views();
    regions.set(name, { off, cap });
    // A moved region lost its contents: the handle that owned them uploads again.
    if (name === 'mt') residentMatrix = null;
    if (name.startsWith('lanes')) residentLanes = null;
    return off;
  };
  const matrix = (M: Float64Array, rows: number, cols: number): PreparedMatrix => {
    const handle: PreparedMatrix = {
      rows,
      cols,
      timesVectors(v, k, out, rowScale) {
        const { po } = upload(v, k, rowScale);
        ex.vecsTimesMatT(po, pv, mt, ps, rows, cols, k);
        out.set(f64.subarray(po, po + k * rows));
      },
      timesVectorsQr(v, k, out, rowScale, R) {
        const { po } = upload(v, k, rowScale);
        const pR = region('mgsR', k * k);
        ex.jqMgs(po, pv, mt, ps, rows, cols, k, pR);
        out.set(f64.subarray(po, po + k * rows));
        R.set(f64.subarray(pR, pR + k * k));
      },
    };
    let mt = 0;
    let pv = 0;
    let ps = -1;
    /** Places M (transposed, when not resident), the vectors and the scale in the heap. */
    const upload = (v: Float64Array, k: number, rowScale: Float64Array | null) => {
      const po = region('out', k * rows);
      pv = region('v', k * cols);
      ps = rowScale ? region('scale', rows) : -1;
      mt = region('mt', rows * cols);
      if (residentMatrix !== handle) {
        // Upload M transposed ([cols][rows]): two consecutive outputs share one f64x2 load.
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) f64[mt + j * rows + i] = M[i * cols + j];
        residentMatrix = handle;
      }
      f64.set(v.subarray(0, k * cols), pv);
      if (rowScale) f64.set(rowScale.subarray(0, rows), ps);
      return { po };
    };
    return handle;
  };

  const mgsQr = (V: Float64Array, S: number, k: number, R: Float64Array): void => {
    const pV = region('mgsV', k * S);
    const pR = region('mgsR', k * k);
    f64.set(V.subarray(0, k * S), pV);
    ex.mgs(pV, S, k, pR);
    V.set(f64.subarray(pV, pV + k * S));
    R.set(f64.subarray(pR, pR + k * k));
  };

  const rnnLanes = (Whh: Float64Array, N: number, drive: Float64Array, flipped: Float64Array, B: number, T: number): RnnLaneRunner => {
    const n = B * T * N;
    const handle: RnnLaneRunner = {
      run(b, tStart, mask, H) {
        const pW = region('lanesW', N * N);
        const pD = region('lanesDrive', n);
        const pF = region('lanesFlipped', n);
        const pM = region('lanesMask', Math.ceil((8 * T) / 8));
        const pH = region('lanesH', 8 * N);
        const pH2 = region('lanesH2', 8 * N);
        if (residentLanes !== handle) {
          f64.set(Whh.subarray(0, N * N), pW);
          f64.set(drive.subarray(0, n), pD);
          f64.set(flipped.subarray(0, n), pF);
          residentLanes = handle;
        }
        u8.set(mask.subarray(0, 8 * T), pM * 8);
        f64.set(H.subarray(0, 8 * N), pH);
        const res = ex.rnnLanes8(pH, pH2, pW, pD, pF, pM * 8, N, T, b, tStart);
        H.set(f64.subarray(res, res + 8 * N));
      },
    };
    return handle;
  };

  return { kind: 'wasm-simd', matrix, mgsQr, rnnLanes };
}
