// @ts-nocheck -- AssemblyScript (generic v128 ops, load/store builtins), compiled by asc, not tsc.
// SIMD register blocks shared by both WASM modules (imported by src/kernels/fast_rnn.ts, float32,
// and src/kernels/analysis.ts, float64; asc inlines and specialises them per element type T, so
// each module's machine code is what its hand-copied block was). Pointers are BYTE offsets.

// The 4 x 2 block of a matrix product: for rows r = 0..3 and the two 16-byte vectors of one
// column strip, c_r = sum over k < K (in order k = 0, 1, ...) of splat(A_r(k)) * B_k, with A_r(k)
// at pa_r + k * stepA and B_k at pb + k * rowB. Then, if `accumulate`, c_r += out_r (the old
// values); if pscale >= 0, c_r *= the two vectors at pscale (per output scale); stored to po_r.
// Eight accumulators + two B vectors + one broadcast fit the 16 x64 vector registers V8 allocates.
// Every sum is one sequential sum per output (no reassociation); wasm has no fused multiply-add.
@inline
export function gemmBlock4x2<T>(
  pa0: i32, pa1: i32, pa2: i32, pa3: i32, stepA: i32,
  pb: i32, rowB: i32, K: i32,
  po0: i32, po1: i32, po2: i32, po3: i32,
  accumulate: bool, pscale: i32,
): void {
  let c0a = v128.splat<T>(<T>0), c0b = v128.splat<T>(<T>0), c1a = v128.splat<T>(<T>0), c1b = v128.splat<T>(<T>0);
  let c2a = v128.splat<T>(<T>0), c2b = v128.splat<T>(<T>0), c3a = v128.splat<T>(<T>0), c3b = v128.splat<T>(<T>0);
  let ka = 0;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let s = v128.load_splat<T>(pa0 + ka);
    c0a = v128.add<T>(c0a, v128.mul<T>(s, b0));
    c0b = v128.add<T>(c0b, v128.mul<T>(s, b1));
    s = v128.load_splat<T>(pa1 + ka);
    c1a = v128.add<T>(c1a, v128.mul<T>(s, b0));
    c1b = v128.add<T>(c1b, v128.mul<T>(s, b1));
    s = v128.load_splat<T>(pa2 + ka);
    c2a = v128.add<T>(c2a, v128.mul<T>(s, b0));
    c2b = v128.add<T>(c2b, v128.mul<T>(s, b1));
    s = v128.load_splat<T>(pa3 + ka);
    c3a = v128.add<T>(c3a, v128.mul<T>(s, b0));
    c3b = v128.add<T>(c3b, v128.mul<T>(s, b1));
    pb += rowB;
    ka += stepA;
  }
  if (accumulate) {
    c0a = v128.add<T>(c0a, v128.load(po0)); c0b = v128.add<T>(c0b, v128.load(po0, 16));
    c1a = v128.add<T>(c1a, v128.load(po1)); c1b = v128.add<T>(c1b, v128.load(po1, 16));
    c2a = v128.add<T>(c2a, v128.load(po2)); c2b = v128.add<T>(c2b, v128.load(po2, 16));
    c3a = v128.add<T>(c3a, v128.load(po3)); c3b = v128.add<T>(c3b, v128.load(po3, 16));
  }
  if (pscale >= 0) {
    const s0 = v128.load(pscale);
    const s1 = v128.load(pscale, 16);
    c0a = v128.mul<T>(c0a, s0); c0b = v128.mul<T>(c0b, s1);
    c1a = v128.mul<T>(c1a, s0); c1b = v128.mul<T>(c1b, s1);
    c2a = v128.mul<T>(c2a, s0); c2b = v128.mul<T>(c2b, s1);
    c3a = v128.mul<T>(c3a, s0); c3b = v128.mul<T>(c3b, s1);
  }
  v128.store(po0, c0a); v128.store(po0, c0b, 16);
  v128.store(po1, c1a); v128.store(po1, c1b, 16);
  v128.store(po2, c2a); v128.store(po2, c2b, 16);
  v128.store(po3, c3a); v128.store(po3, c3b, 16);
}
