/**
 * Compute kernels of the fast RNN engine. Every buffer lives in one float32 heap and is addressed
 * by a float offset, so the same engine code drives the pure-JS kernels (a growable Float32Array)
 * and the WASM SIMD kernels (views of the module's linear memory, see wasmKernels.ts).
 *
 * Three primitives cover forward and BPTT of a tanh RNN:
 *   gemm: C[M][N] (=|+=) A·B with B row-major [K][N] and A addressed by strides (so A or A^T),
 *   tanh in place, and tanhGrad dA = dH ⊙ (1 - H²); flushTiny zeroes values below a threshold
 *   (SUBNORMAL_FLUSH_BELOW: the engine's deltas and gradient sums stay out of the subnormal range).
 * (The float64 analysis has its own, AnalysisKernels in src/core/kernels.)
 */

export type TrainingKernelKind = 'js' | 'wasm-simd';

export interface TrainingKernels {
  readonly kind: TrainingKernelKind;
  /** Float32 view of the whole heap. Re-read it after reserve(): wasm memory may have moved. */
  heap(): Float32Array;
  /** Makes the heap hold at least `floats` float32 values (offsets 0..floats-1 usable from `base()`). */
  reserve(floats: number): void;
  /** First usable float offset (the wasm module keeps its own data below it); a multiple of 4. */
  base(): number;
  /**
   * C[M][N] (accumulate ? += : =) sum_k A(m, k) B[k][N], all float offsets into the heap.
   * A(m, k) is at a + m*sam + k*sak: (sam, sak) = (K, 1) for row-major A [M][K], (1, M) for A^T with
   * A stored [K][M]. B is row-major [K][N], C row-major [M][N]; C must not overlap A or B.
   */
  gemm(c: number, a: number, sam: number, sak: number, b: number, M: number, K: number, N: number, accumulate: boolean): void;
  /** x[i] = tanh(x[i]) for i < n (rational approximation, |error| < 4e-7). */
  tanh(x: number, n: number): void;
  /**
   * dA[i] = dH[i] * (1 - H[i]²) for i < n (the tanh derivative written with the output H), written
   * as 0 where |dA[i]| < flushBelow (default 0: IEEE exactly; NaN is kept).
   */
  tanhGrad(dA: number, dH: number, H: number, n: number, flushBelow?: number): void;
  /** x[i] = 0 where |x[i]| < flushBelow, for i < n (NaN kept). */
  flushTiny(x: number, n: number, flushBelow: number): void;
}

/**
 * 2^-100 (~7.9e-31): the engine writes BPTT deltas and gradient sums smaller than this in magnitude
 * as 0 (docs/method.md, "Subnormal flush"). Gradients the optimiser sees are ~1e-8..1e1, so a
 * dropped term is below 2^-70 of the smallest of them, far below float32 resolution (2^-24); it
 * keeps every value the kernels read out of the float32 subnormal range (< 2^-126), where x86 CPUs
 * without flush-to-zero (WebAssembly has none) take a microcode assist per operation.
 */
export const SUBNORMAL_FLUSH_BELOW = 2 ** -100;

/** Number of float32 subnormals (0 < |v| < 2^-126) in h[off, off + n): the diagnostic behind the flush. */
export function countSubnormals(h: Float32Array, off: number, n: number): number {
  let count = 0;
  for (let i = off; i < off + n; i++) {
    const a = Math.abs(h[i]);
    if (a > 0 && a < 2 ** -126) count++;
  }
  return count;
}

// Rational minimax approximation of tanh on [-c, c] (the one Eigen and XNNPACK use for float32):
// odd numerator of degree 13 over an even denominator of degree 6; beyond c, tanh rounds to ±1.
const TANH_CLAMP = 7.99881172180175781;
const A1 = 4.89352455891786e-3,
  A3 = 6.37261928875436e-4,
  A5 = 1.48572235717979e-5,
  A7 = 5.12229709037114e-8;
const A9 = -8.60467152213735e-11,
  A11 = 2.00018790482477e-13,
  A13 = -2.76076847742355e-16;
const B0 = 4.89352518554385e-3,
  B2 = 2.268434632439e-3,
  B4 = 1.18534705686654e-4,
  B6 = 1.19825839466702e-6;

/** tanh(x) by the rational approximation above, in float64 arithmetic (max |error| ~4e-7 vs Math.tanh). */
export function fastTanh(x: number): number {
  const v = x > TANH_CLAMP ? TANH_CLAMP : x < -TANH_CLAMP ? -TANH_CLAMP : x;
  const x2 = v * v;
  const p = v * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * (A11 + x2 * A13))))));
  const q = B0 + x2 * (B2 + x2 * (B4 + x2 * B6));
  return p / q;
}

/** The coefficients, exported so the AssemblyScript kernel's copy can be checked against them. */
export const TANH_COEFFICIENTS = { clamp: TANH_CLAMP, num: [A1, A3, A5, A7, A9, A11, A13], den: [B0, B2, B4, B6] } as const;

/** Pure-JS kernels on a Float32Array heap (the fallback without WebAssembly SIMD). */
export function createJsTrainingKernels(initialFloats = 1 << 16): TrainingKernels {
  let h = new Float32Array(initialFloats);
  return {
    kind: 'js',
    heap: () => h,
    base: () => 0,
    reserve(floats: number) {
      if (floats <= h.length) return;
      const grown = new Float32Array(Math.max(floats, Math.ceil(h.length * 1.5)));
      grown.set(h);
      h = grown;
    },
    gemm: gemmInDepthChunks((c, a, sam, sak, b, M, K, N, accumulate) => gemmJs(h, c, a, sam, sak, b, M, K, N, accumulate)),
    tanh(x, n) {
      for (let i = x; i < x + n; i++) h[i] = fastTanh(h[i]);
    },
    tanhGrad(dA, dH, H, n, flushBelow = 0) {
      for (let i = 0; i < n; i++) {
        const y = h[H + i];
        const d = h[dH + i] * (1 - y * y);
        h[dA + i] = Math.abs(d) < flushBelow ? 0 : d;
      }
    },
    flushTiny(x, n, flushBelow) {
      for (let i = x; i < x + n; i++) if (Math.abs(h[i]) < flushBelow) h[i] = 0;
    },
  };
}

/** Depth of one K chunk: a 256-row slab of A and of B (128 KB each at N = 128) stays in L2. */
export const GEMM_DEPTH_CHUNK = 256;

type GemmFn = TrainingKernels['gemm'];

/**
 * Wraps `gemm` so that a long-K gemm (the weight gradients sum over all T*B rows) runs as a sequence of
 * GEMM_DEPTH_CHUNK-deep gemms accumulating into C. Without it every register block streams the
 * whole A and B from memory: measured 9x slower for dW_hh at T = 784 (2.2 vs 20 GFLOP/s).
 */
export function gemmInDepthChunks(gemm: GemmFn): GemmFn {
  return (c, a, sam, sak, b, M, K, N, accumulate) => {
    if (K <= 2 * GEMM_DEPTH_CHUNK) {
      gemm(c, a, sam, sak, b, M, K, N, accumulate);
      return;
    }
    for (let k0 = 0; k0 < K; k0 += GEMM_DEPTH_CHUNK) {
      gemm(c, a + k0 * sak, sam, sak, b + k0 * N, M, Math.min(GEMM_DEPTH_CHUNK, K - k0), N, accumulate || k0 > 0);
    }
  };
}

/**
 * The JS gemm (see TrainingKernels.gemm): 4x4 register blocks (16 scalar accumulators; each loaded A
 * and B value is used 4 times), scalar edges. Sums in float64, stores float32.
 */
export function gemmJs(
  h: Float32Array,
  c: number,
  a: number,
  sam: number,
  sak: number,
  b: number,
  M: number,
  K: number,
  N: number,
  accumulate: boolean,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const c0 = c + m * N,
      c1 = c0 + N,
      c2 = c1 + N,
      c3 = c2 + N;
    const a0 = a + m * sam,
      a1 = a0 + sam,
      a2 = a1 + sam,
      a3 = a2 + sam;
    for (let n = 0; n < N4; n += 4) {
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0,
        s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      let pb = b + n;
      let ka = 0;
      for (let k = 0; k < K; k++, pb += N, ka += sak) {
        const b0 = h[pb],
          b1 = h[pb + 1],
          b2 = h[pb + 2],
          b3 = h[pb + 3];
        const x0 = h[a0 + ka],
          x1 = h[a1 + ka],
          x2 = h[a2 + ka],
          x3 = h[a3 + ka];
        s00 += x0 * b0;
        s01 += x0 * b1;
        s02 += x0 * b2;
        s03 += x0 * b3;
        s10 += x1 * b0;
        s11 += x1 * b1;
        s12 += x1 * b2;
        s13 += x1 * b3;
        s20 += x2 * b0;
        s21 += x2 * b1;
        s22 += x2 * b2;
        s23 += x2 * b3;
        s30 += x3 * b0;
        s31 += x3 * b1;
        s32 += x3 * b2;
        s33 += x3 * b3;
      }
      if (accumulate) {
        h[c0 + n] += s00;
        h[c0 + n + 1] += s01;
        h[c0 + n + 2] += s02;
        h[c0 + n + 3] += s03;
        h[c1 + n] += s10;
        h[c1 + n + 1] += s11;
        h[c1 + n + 2] += s12;
        h[c1 + n + 3] += s13;
        h[c2 + n] += s20;
        h[c2 + n + 1] += s21;
        h[c2 + n + 2] += s22;
        h[c2 + n + 3] += s23;
        h[c3 + n] += s30;
        h[c3 + n + 1] += s31;
        h[c3 + n + 2] += s32;
        h[c3 + n + 3] += s33;
      } else {
        h[c0 + n] = s00;
        h[c0 + n + 1] = s01;
        h[c0 + n + 2] = s02;
        h[c0 + n + 3] = s03;
        h[c1 + n] = s10;
        h[c1 + n + 1] = s11;
        h[c1 + n + 2] = s12;
        h[c1 + n + 3] = s13;
        h[c2 + n] = s20;
        h[c2 + n + 1] = s21;
        h[c2 + n + 2] = s22;
        h[c2 + n + 3] = s23;
        h[c3 + n] = s30;
        h[c3 + n + 1] = s31;
        h[c3 + n + 2] = s32;
        h[c3 + n + 3] = s33;
      }
    }
    if (N4 < N) gemmEdge(h, c, a, sam, sak, b, m, m + 4, N4, N, K, N, accumulate);
  }
  if (M4 < M) gemmEdge(h, c, a, sam, sak, b, M4, M, 0, N, K, N, accumulate);
}

/** Scalar gemm on the block rows [m0, m1) x columns [n0, n1) (the edges the 4x4 blocks leave). */
function gemmEdge(
  h: Float32Array,
  c: number,
  a: number,
  sam: number,
  sak: number,
  b: number,
  m0: number,
  m1: number,
  n0: number,
  n1: number,
  K: number,
  N: number,
  accumulate: boolean,
): void {
  for (let m = m0; m < m1; m++) {
    const am = a + m * sam;
    for (let n = n0; n < n1; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += h[am + k * sak] * h[b + k * N + n];
      const ci = c + m * N + n;
      h[ci] = accumulate ? h[ci] + s : s;
    }
  }
}
