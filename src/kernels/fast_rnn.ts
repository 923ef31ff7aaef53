// @ts-nocheck -- AssemblyScript (i32, f32x4, v128, load/store builtins), compiled by asc, not tsc.
// WASM SIMD kernels of the fast RNN engine (AssemblyScript; build: node scripts/build-kernels.mjs,
// output public/kernels/fast_rnn.wasm). The JS side (src/model/fast/wasmKernels.ts) owns all
// memory above heapBase() and passes FLOAT offsets; these functions only read and write there.
// Semantics are those of TrainingKernels in src/model/fast/kernels.ts (the pure-JS reference).

import { gemmBlock4x2 } from './simdBlocks';

/** First free byte above the module's own data, 16-byte aligned. */
export function heapBase(): i32 {
  return (<i32>__heap_base + 15) & ~15;
}

// C[M][N] (=|+=) sum_k A(m,k) B[k][N]; A(m,k) at a + m*sam + k*sak (float offsets).
// Main blocks: 4 rows x 8 columns (simdBlocks.ts gemmBlock4x2, shared with the analysis module),
// then 4-column and scalar edges.
export function gemm(c: i32, a: i32, sam: i32, sak: i32, b: i32, M: i32, K: i32, N: i32, accumulate: i32): void {
  const N8 = N & ~7;
  const N4 = N & ~3;
  const M4 = M & ~3;
  const rowB = N << 2; // bytes per B row
  const stepA = sak << 2;
  for (let m = 0; m < M4; m += 4) {
    const pa0 = (a + m * sam) << 2;
    const pa1 = pa0 + (sam << 2);
    const pa2 = pa1 + (sam << 2);
    const pa3 = pa2 + (sam << 2);
    const pc0 = (c + m * N) << 2;
    const pc1 = pc0 + rowB;
    const pc2 = pc1 + rowB;
    const pc3 = pc2 + rowB;
    let n = 0;
    for (; n < N8; n += 8) {
      const off = n << 2;
      gemmBlock4x2<f32>(pa0, pa1, pa2, pa3, stepA, (b << 2) + off, rowB, K, pc0 + off, pc1 + off, pc2 + off, pc3 + off, accumulate != 0, -1);
    }
    for (; n < N4; n += 4) {
      const off = n << 2;
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let pb = (b << 2) + off;
      let ka = 0;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa0 + ka), b0));
        c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(pa1 + ka), b0));
        c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(pa2 + ka), b0));
        c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(pa3 + ka), b0));
        pb += rowB;
        ka += stepA;
      }
      if (accumulate) {
        c0 = f32x4.add(c0, v128.load(pc0 + off));
        c1 = f32x4.add(c1, v128.load(pc1 + off));
        c2 = f32x4.add(c2, v128.load(pc2 + off));
        c3 = f32x4.add(c3, v128.load(pc3 + off));
      }
      v128.store(pc0 + off, c0);
      v128.store(pc1 + off, c1);
      v128.store(pc2 + off, c2);
      v128.store(pc3 + off, c3);
    }
    if (n < N) gemmScalar(c, a, sam, sak, b, m, m + 4, n, N, K, N, accumulate);
  }
  if (M4 < M) {
    // Remaining rows: one row at a time, 4 columns per vector.
    for (let m = M4; m < M; m++) {
      const pa = (a + m * sam) << 2;
      const pc = (c + m * N) << 2;
      let n = 0;
      for (; n < N4; n += 4) {
        const off = n << 2;
        let acc = f32x4.splat(0);
        let pb = (b << 2) + off;
        let ka = 0;
        for (let k = 0; k < K; k++) {
          acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(pa + ka), v128.load(pb)));
          pb += rowB;
          ka += stepA;
        }
        if (accumulate) acc = f32x4.add(acc, v128.load(pc + off));
        v128.store(pc + off, acc);
      }
      if (n < N) gemmScalar(c, a, sam, sak, b, m, m + 1, n, N, K, N, accumulate);
    }
  }
}

// Scalar gemm on rows [m0, m1) x columns [n0, n1).
function gemmScalar(c: i32, a: i32, sam: i32, sak: i32, b: i32, m0: i32, m1: i32, n0: i32, n1: i32, K: i32, N: i32, accumulate: i32): void {
  for (let m = m0; m < m1; m++) {
    for (let n = n0; n < n1; n++) {
      let s: f32 = 0;
      for (let k = 0; k < K; k++) s += load<f32>((a + m * sam + k * sak) << 2) * load<f32>((b + k * N + n) << 2);
      const pc = (c + m * N + n) << 2;
      store<f32>(pc, accumulate ? load<f32>(pc) + s : s);
    }
  }
}

// tanh by the rational approximation of src/model/fast/kernels.ts (same coefficients, float32).
const CLAMP: f32 = 7.99881172180175781;
const A1: f32 = 4.89352455891786e-3;
const A3: f32 = 6.37261928875436e-4;
const A5: f32 = 1.48572235717979e-5;
const A7: f32 = 5.12229709037114e-8;
const A9: f32 = -8.60467152213735e-11;
const A11: f32 = 2.00018790482477e-13;
const A13: f32 = -2.76076847742355e-16;
const B0: f32 = 4.89352518554385e-3;
const B2: f32 = 2.268434632439e-3;
const B4: f32 = 1.18534705686654e-4;
const B6: f32 = 1.19825839466702e-6;

function tanhV(x: v128): v128 {
  const v = f32x4.min(f32x4.max(x, f32x4.splat(-CLAMP)), f32x4.splat(CLAMP));
  const x2 = f32x4.mul(v, v);
  let p = f32x4.add(f32x4.mul(x2, f32x4.splat(A13)), f32x4.splat(A11));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(A9));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(A7));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(A5));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(A1));
  p = f32x4.mul(v, p);
  let q = f32x4.add(f32x4.mul(x2, f32x4.splat(B6)), f32x4.splat(B4));
  q = f32x4.add(f32x4.mul(x2, q), f32x4.splat(B2));
  q = f32x4.add(f32x4.mul(x2, q), f32x4.splat(B0));
  return f32x4.div(p, q);
}

/** x[i] = tanh(x[i]) for i < n (float offset x). */
export function tanh(x: i32, n: i32): void {
  let p = x << 2;
  const end = (x + n) << 2;
  for (; p + 16 <= end; p += 16) v128.store(p, tanhV(v128.load(p)));
  for (; p < end; p += 4) store<f32>(p, f32x4.extract_lane(tanhV(v128.load32_splat(p)), 0));
}

/**
 * dA[i] = dH[i] * (1 - H[i]^2) for i < n (float offsets), with |dA[i]| < flushBelow written as 0
 * (the BPTT delta keeps out of the subnormal range: x86 runs subnormal operands in microcode and
 * WebAssembly has no flush-to-zero mode; src/model/fast/kernels.ts SUBNORMAL_FLUSH_BELOW). NaN is
 * kept (NaN < t is false); flushBelow = 0 is IEEE arithmetic exactly.
 */
export function tanhGrad(dA: i32, dH: i32, H: i32, n: i32, flushBelow: f32): void {
  const one = f32x4.splat(1);
  const thr = f32x4.splat(flushBelow);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const y = v128.load((H + i) << 2);
    const d = f32x4.mul(v128.load((dH + i) << 2), f32x4.sub(one, f32x4.mul(y, y)));
    v128.store((dA + i) << 2, v128.andnot(d, f32x4.lt(f32x4.abs(d), thr)));
  }
  for (; i < n; i++) {
    const y = load<f32>((H + i) << 2);
    const d: f32 = load<f32>((dH + i) << 2) * (1 - y * y);
    store<f32>((dA + i) << 2, Mathf.abs(d) < flushBelow ? 0 : d);
  }
}

/** x[i] = 0 where |x[i]| < flushBelow, for i < n (float offset; NaN kept): gradient sums, see tanhGrad. */
export function flushTiny(x: i32, n: i32, flushBelow: f32): void {
  const thr = f32x4.splat(flushBelow);
  let p = x << 2;
  const end = (x + n) << 2;
  for (; p + 16 <= end; p += 16) {
    const v = v128.load(p);
    v128.store(p, v128.andnot(v, f32x4.lt(f32x4.abs(v), thr)));
  }
  for (; p < end; p += 4) if (Mathf.abs(load<f32>(p)) < flushBelow) store<f32>(p, 0);
}
