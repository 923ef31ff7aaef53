// @ts-nocheck -- AssemblyScript (i32, f64x2, v128, load/store builtins), compiled by asc, not tsc.
// float64 WASM SIMD kernels of the Lyapunov analysis (build: node scripts/build-kernels.mjs, output
// public/kernels/analysis.wasm). The JS side (src/core/kernels/wasm.ts) owns all memory above
// heapBase() and passes FLOAT64 offsets (index into a Float64Array view); these functions only
// read and write there. Semantics, and the order of every floating-point operation, are those of
// the pure-JS kernels in src/core/kernels/js.ts: each sum runs in the same order (a f64x2 lane
// pair holds two independent sums, never a reassociated one), and wasm has no fused multiply-add,
// so J Q and Gram-Schmidt give bit-identical results to the JS path.

import { gemmBlock4x2 } from './simdBlocks';

/** First free byte above the module's own data, 16-byte aligned. */
export function heapBase(): i32 {
  return (<i32>__heap_base + 15) & ~15;
}

// out[a][i] = scale_i * sum_j v[a][j] * Mt[j][i] (a < k, i < rows, j < cols): k vectors v_a
// ([k][cols], contiguous) times M ([rows][cols]), given as its transpose Mt ([cols][rows]) so that
// two consecutive outputs i, i+1 share one f64x2 load. scale < 0 means no scale. Each output is one
// sequential sum over j (as the JS kernel), then multiplied by scale_i.
// Blocks: 4 vectors x 4 outputs (simdBlocks.ts gemmBlock4x2, shared with the training module),
// then single vectors, then a scalar edge.
export function vecsTimesMatT(out: i32, v: i32, mt: i32, scale: i32, rows: i32, cols: i32, k: i32): void {
  const rows4 = rows & ~3;
  const rowBytes = rows << 3;
  const colBytes = cols << 3;
  let a = 0;
  for (; a + 4 <= k; a += 4) {
    const pv0 = (v + a * cols) << 3;
    const pv1 = pv0 + colBytes;
    const pv2 = pv1 + colBytes;
    const pv3 = pv2 + colBytes;
    const po0 = (out + a * rows) << 3;
    const po1 = po0 + rowBytes;
    const po2 = po1 + rowBytes;
    const po3 = po2 + rowBytes;
    let i = 0;
    for (; i < rows4; i += 4) {
      // Output pair (i, i+1) and (i+2, i+3) of vectors a..a+3: A_r(j) = v[a+r][j], B_j = Mt[j][i..i+3].
      const oi = i << 3;
      gemmBlock4x2<f64>(pv0, pv1, pv2, pv3, 8, (mt + i) << 3, rowBytes, cols, po0 + oi, po1 + oi, po2 + oi, po3 + oi, false, scale >= 0 ? (scale + i) << 3 : -1);
    }
    for (; i < rows; i++) {
      vecTimesMatTScalar(out, v, mt, scale, rows, cols, a, i);
      vecTimesMatTScalar(out, v, mt, scale, rows, cols, a + 1, i);
      vecTimesMatTScalar(out, v, mt, scale, rows, cols, a + 2, i);
      vecTimesMatTScalar(out, v, mt, scale, rows, cols, a + 3, i);
    }
  }
  for (; a < k; a++) {
    const pv = (v + a * cols) << 3;
    const po = (out + a * rows) << 3;
    let i = 0;
    for (; i + 2 <= rows; i += 2) {
      let c = f64x2.splat(0);
      let pm = (mt + i) << 3;
      let pj = 0;
      for (let j = 0; j < cols; j++) {
        c = f64x2.add(c, f64x2.mul(v128.load(pm), f64x2.splat(load<f64>(pv + pj))));
        pm += rowBytes;
        pj += 8;
      }
      if (scale >= 0) c = f64x2.mul(c, v128.load((scale + i) << 3));
      v128.store(po + (i << 3), c);
    }
    for (; i < rows; i++) vecTimesMatTScalar(out, v, mt, scale, rows, cols, a, i);
  }
}

@inline
function vecTimesMatTScalar(out: i32, v: i32, mt: i32, scale: i32, rows: i32, cols: i32, a: i32, i: i32): void {
  let s: f64 = 0;
  for (let j = 0; j < cols; j++) s += load<f64>((mt + j * rows + i) << 3) * load<f64>((v + a * cols + j) << 3);
  store<f64>((out + a * rows + i) << 3, scale >= 0 ? s * load<f64>((scale + i) << 3) : s);
}

// Reduced QR by modified Gram-Schmidt with one reorthogonalisation pass, in place on V ([k][S],
// vector a at a*S), R ([k][k] row-major, upper, diag >= 0). Same algorithm and operation order as
// mgsQrJs (src/core/kernels/js.ts): dot products with four partial sums s_{i mod 4} (the lanes of
// two f64x2 accumulators; a tail pair joins s0, s1, a last odd entry s0), combined as
// (s0 + s2) + (s1 + s3); sequential norms.
export function mgs(V: i32, S: i32, k: i32, R: i32): void {
  memory.fill(R << 3, 0, (k * k) << 3);
  const S2 = S & ~1;
  for (let a = 0; a < k; a++) {
    const pa = (V + a * S) << 3;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const pb = (V + b * S) << 3;
        let acc = f64x2.splat(0);
        let acc2 = f64x2.splat(0);
        let i = 0;
        for (; i + 4 <= S; i += 4) {
          acc = f64x2.add(acc, f64x2.mul(v128.load(pb + (i << 3)), v128.load(pa + (i << 3))));
          acc2 = f64x2.add(acc2, f64x2.mul(v128.load(pb + (i << 3), 16), v128.load(pa + (i << 3), 16)));
        }
        if (i + 2 <= S) {
          acc = f64x2.add(acc, f64x2.mul(v128.load(pb + (i << 3)), v128.load(pa + (i << 3))));
          i += 2;
        }
        let c0 = f64x2.extract_lane(acc, 0);
        const c1 = f64x2.extract_lane(acc, 1);
        if (i < S) c0 += load<f64>(pb + (i << 3)) * load<f64>(pa + (i << 3));
        const c = (c0 + f64x2.extract_lane(acc2, 0)) + (c1 + f64x2.extract_lane(acc2, 1));
        const cc = f64x2.splat(c);
        for (let i = 0; i < S2; i += 2) {
          const o = i << 3;
          v128.store(pa + o, f64x2.sub(v128.load(pa + o), f64x2.mul(cc, v128.load(pb + o))));
        }
        if (S2 < S) store<f64>(pa + (S2 << 3), load<f64>(pa + (S2 << 3)) - c * load<f64>(pb + (S2 << 3)));
        const pr = (R + b * k + a) << 3;
        store<f64>(pr, load<f64>(pr) + c);
      }
    }
    let nrm: f64 = 0;
    for (let i = 0; i < S; i++) {
      const x = load<f64>(pa + (i << 3));
      nrm += x * x;
    }
    nrm = Math.sqrt(nrm);
    if (nrm > 1e-300 && nrm < Infinity) {
      store<f64>((R + a * k + a) << 3, nrm);
      const inv = 1 / nrm;
      const iv = f64x2.splat(inv);
      for (let i = 0; i < S2; i += 2) v128.store(pa + (i << 3), f64x2.mul(v128.load(pa + (i << 3)), iv));
      if (S2 < S) store<f64>(pa + (S2 << 3), load<f64>(pa + (S2 << 3)) * inv);
    } else {
      store<f64>((R + a * k + a) << 3, 0);
      completeBasisVector(V, S, a);
    }
  }
}

// One QR-iteration step: out = diag(scale) M v (as vecsTimesMatT), then mgs(out, rows, k, R).
export function jqMgs(out: i32, v: i32, mt: i32, scale: i32, rows: i32, cols: i32, k: i32, R: i32): void {
  vecsTimesMatT(out, v, mt, scale, rows, cols, k);
  mgs(out, rows, k, R);
}

// Slot a <- a unit vector orthogonal to vectors 0..a-1 (tries e_0, e_1, ...); as the JS version.
function completeBasisVector(V: i32, S: i32, a: i32): void {
  const pa = (V + a * S) << 3;
  for (let e = 0; e < S; e++) {
    memory.fill(pa, 0, S << 3);
    store<f64>(pa + (e << 3), 1);
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const pb = (V + b * S) << 3;
        let c: f64 = 0;
        for (let i = 0; i < S; i++) c += load<f64>(pb + (i << 3)) * load<f64>(pa + (i << 3));
        for (let i = 0; i < S; i++) store<f64>(pa + (i << 3), load<f64>(pa + (i << 3)) - c * load<f64>(pb + (i << 3)));
      }
    }
    let nrm: f64 = 0;
    for (let i = 0; i < S; i++) {
      const x = load<f64>(pa + (i << 3));
      nrm += x * x;
    }
    nrm = Math.sqrt(nrm);
    if (nrm > 1e-8) {
      for (let i = 0; i < S; i++) store<f64>(pa + (i << 3), load<f64>(pa + (i << 3)) / nrm);
      return;
    }
  }
}

// Eight tanh-RNN lanes advanced together from step tStart to T (0-based steps), the flip
// evaluator's inner loop: H[j][l] (8 lanes contiguous per unit j), h_l <- tanh(u_l + W h_l) with
// u_l = drive row (b*T + t) of `flipped` when mask[l*T + t] != 0 (bytes at byte offset `mask`),
// else of `drive` (both [B*T][N]); W = W_hh [N][N] row-major. Each pre-activation is one
// sequential sum starting at u (as the JS loop). Returns the float offset of the buffer (h or h2)
// that holds the final states.
export function rnnLanes8(h: i32, h2: i32, W: i32, drive: i32, flipped: i32, mask: i32, N: i32, T: i32, b: i32, tStart: i32): i32 {
  let cur = h;
  let nxt = h2;
  const N2 = N & ~1;
  for (let t = tStart; t < T; t++) {
    const uo = (b * T + t) * N;
    const p0 = ((load<u8>(mask + t) ? flipped : drive) + uo) << 3;
    const p1 = ((load<u8>(mask + T + t) ? flipped : drive) + uo) << 3;
    const p2 = ((load<u8>(mask + 2 * T + t) ? flipped : drive) + uo) << 3;
    const p3 = ((load<u8>(mask + 3 * T + t) ? flipped : drive) + uo) << 3;
    const p4 = ((load<u8>(mask + 4 * T + t) ? flipped : drive) + uo) << 3;
    const p5 = ((load<u8>(mask + 5 * T + t) ? flipped : drive) + uo) << 3;
    const p6 = ((load<u8>(mask + 6 * T + t) ? flipped : drive) + uo) << 3;
    const p7 = ((load<u8>(mask + 7 * T + t) ? flipped : drive) + uo) << 3;
    const pc = cur << 3;
    let i = 0;
    for (; i < N2; i += 2) {
      const oi = i << 3;
      let a0 = f64x2.replace_lane(f64x2.splat(load<f64>(p0 + oi)), 1, load<f64>(p1 + oi));
      let a1 = f64x2.replace_lane(f64x2.splat(load<f64>(p2 + oi)), 1, load<f64>(p3 + oi));
      let a2 = f64x2.replace_lane(f64x2.splat(load<f64>(p4 + oi)), 1, load<f64>(p5 + oi));
      let a3 = f64x2.replace_lane(f64x2.splat(load<f64>(p6 + oi)), 1, load<f64>(p7 + oi));
      let b0 = f64x2.replace_lane(f64x2.splat(load<f64>(p0 + oi + 8)), 1, load<f64>(p1 + oi + 8));
      let b1 = f64x2.replace_lane(f64x2.splat(load<f64>(p2 + oi + 8)), 1, load<f64>(p3 + oi + 8));
      let b2 = f64x2.replace_lane(f64x2.splat(load<f64>(p4 + oi + 8)), 1, load<f64>(p5 + oi + 8));
      let b3 = f64x2.replace_lane(f64x2.splat(load<f64>(p6 + oi + 8)), 1, load<f64>(p7 + oi + 8));
      let pw = (W + i * N) << 3;
      const rowW = N << 3;
      let ph = pc;
      // Unrolled by two (V8 does not unroll wasm loops); the sums still run j = 0, 1, 2, ... in order.
      let j = 0;
      for (; j + 2 <= N; j += 2) {
        let x0 = v128.load(ph);
        let x1 = v128.load(ph, 16);
        let x2 = v128.load(ph, 32);
        let x3 = v128.load(ph, 48);
        let w = v128.load64_splat(pw);
        let w2 = v128.load64_splat(pw + rowW);
        a0 = f64x2.add(a0, f64x2.mul(w, x0));
        a1 = f64x2.add(a1, f64x2.mul(w, x1));
        a2 = f64x2.add(a2, f64x2.mul(w, x2));
        a3 = f64x2.add(a3, f64x2.mul(w, x3));
        b0 = f64x2.add(b0, f64x2.mul(w2, x0));
        b1 = f64x2.add(b1, f64x2.mul(w2, x1));
        b2 = f64x2.add(b2, f64x2.mul(w2, x2));
        b3 = f64x2.add(b3, f64x2.mul(w2, x3));
        x0 = v128.load(ph, 64);
        x1 = v128.load(ph, 80);
        x2 = v128.load(ph, 96);
        x3 = v128.load(ph, 112);
        w = v128.load64_splat(pw, 8);
        w2 = v128.load64_splat(pw + rowW, 8);
        a0 = f64x2.add(a0, f64x2.mul(w, x0));
        a1 = f64x2.add(a1, f64x2.mul(w, x1));
        a2 = f64x2.add(a2, f64x2.mul(w, x2));
        a3 = f64x2.add(a3, f64x2.mul(w, x3));
        b0 = f64x2.add(b0, f64x2.mul(w2, x0));
        b1 = f64x2.add(b1, f64x2.mul(w2, x1));
        b2 = f64x2.add(b2, f64x2.mul(w2, x2));
        b3 = f64x2.add(b3, f64x2.mul(w2, x3));
        pw += 16;
        ph += 128;
      }
      if (j < N) {
        const x0 = v128.load(ph);
        const x1 = v128.load(ph, 16);
        const x2 = v128.load(ph, 32);
        const x3 = v128.load(ph, 48);
        const w = v128.load64_splat(pw);
        const w2 = v128.load64_splat(pw + rowW);
        a0 = f64x2.add(a0, f64x2.mul(w, x0));
        a1 = f64x2.add(a1, f64x2.mul(w, x1));
        a2 = f64x2.add(a2, f64x2.mul(w, x2));
        a3 = f64x2.add(a3, f64x2.mul(w, x3));
        b0 = f64x2.add(b0, f64x2.mul(w2, x0));
        b1 = f64x2.add(b1, f64x2.mul(w2, x1));
        b2 = f64x2.add(b2, f64x2.mul(w2, x2));
        b3 = f64x2.add(b3, f64x2.mul(w2, x3));
      }
      const po = (nxt + i * 8) << 3;
      storeTanh8(po, a0, a1, a2, a3);
      storeTanh8(po + 64, b0, b1, b2, b3);
    }
    if (N2 < N) {
      const oi = i << 3;
      let a0 = f64x2.replace_lane(f64x2.splat(load<f64>(p0 + oi)), 1, load<f64>(p1 + oi));
      let a1 = f64x2.replace_lane(f64x2.splat(load<f64>(p2 + oi)), 1, load<f64>(p3 + oi));
      let a2 = f64x2.replace_lane(f64x2.splat(load<f64>(p4 + oi)), 1, load<f64>(p5 + oi));
      let a3 = f64x2.replace_lane(f64x2.splat(load<f64>(p6 + oi)), 1, load<f64>(p7 + oi));
      let pw = (W + i * N) << 3;
      let ph = pc;
      for (let j = 0; j < N; j++) {
        const w = f64x2.splat(load<f64>(pw));
        a0 = f64x2.add(a0, f64x2.mul(w, v128.load(ph)));
        a1 = f64x2.add(a1, f64x2.mul(w, v128.load(ph, 16)));
        a2 = f64x2.add(a2, f64x2.mul(w, v128.load(ph, 32)));
        a3 = f64x2.add(a3, f64x2.mul(w, v128.load(ph, 48)));
        pw += 8;
        ph += 64;
      }
      storeTanh8((nxt + i * 8) << 3, a0, a1, a2, a3);
    }
    const tmp = cur;
    cur = nxt;
    nxt = tmp;
  }
  return cur;
}

@inline
function storeTanh8(p: i32, a0: v128, a1: v128, a2: v128, a3: v128): void {
  v128.store(p, tanh2(a0));
  v128.store(p, tanh2(a1), 16);
  v128.store(p, tanh2(a2), 32);
  v128.store(p, tanh2(a3), 48);
}

// tanh on both f64x2 lanes, within a few ulp of the correctly rounded value (the module's scalar
// Math.tanh, a musl port, cost ~70% of the flip evaluator's time). tanh is odd, so with y = 2|x|:
// tanh|x| = t / (t + 2), t = expm1(y) = 2^n (p + 1) - 1 = 2^n p + (2^n - 1), n = round(y / ln 2),
// r = y - n ln 2 (ln 2 split in a 32-bit head and a tail: n * LN2_HI is exact), |r| <= ln2 / 2,
// p = expm1(r) by its Taylor series to r^13 (truncation < 5e-18 relative). For n = 0 no
// cancellation occurs (t = p); for n >= 1, t >= 0.41 and every term is positive; y is capped at 40
// where t / (t + 2) already rounds to 1. NaN propagates.
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e+00;

@inline
function tanh2(x: v128): v128 {
  const signMask = i64x2.splat(0x8000000000000000);
  const y = f64x2.min(f64x2.add(f64x2.abs(x), f64x2.abs(x)), f64x2.splat(40));
  const n = f64x2.nearest(f64x2.mul(y, f64x2.splat(INV_LN2)));
  const r = f64x2.sub(f64x2.sub(y, f64x2.mul(n, f64x2.splat(LN2_HI))), f64x2.mul(n, f64x2.splat(LN2_LO)));
  let q = f64x2.splat(1.0 / 6227020800.0); // 1/13!
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 479001600.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 39916800.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 3628800.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 362880.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 40320.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 5040.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 720.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 120.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 24.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 6.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(0.5));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0));
  const p = f64x2.mul(q, r);
  // 2^n from n's bits: (n + 1023) << 52 (0 <= n <= 58 here).
  const ni = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(n));
  const s = i64x2.shl(i64x2.add(ni, i64x2.splat(1023)), 52);
  const t = f64x2.add(f64x2.mul(s, p), f64x2.sub(s, f64x2.splat(1.0)));
  const th = f64x2.div(t, f64x2.add(t, f64x2.splat(2.0)));
  return v128.or(th, v128.and(x, signMask));
}

/** Applies tanh2 in place to n floats at float offset x (n even): exposed for the accuracy test. */
export function tanhInPlace(x: i32, n: i32): void {
  for (let i = 0; i < n; i += 2) v128.store((x + i) << 3, tanh2(v128.load((x + i) << 3)));
}
