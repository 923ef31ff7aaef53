/**
 * The pure-JS AnalysisKernels (the default; see index.ts). The order of floating-point operations here
 * is the contract the WASM module (src/kernels/analysis.ts) reproduces: each J Q entry is one
 * sequential sum over j then times the row scale; Gram-Schmidt dot products keep four partial sums
 * (entries i mod 4, combined as (s0 + s2) + (s1 + s3)), norms are sequential.
 */
import type { AnalysisKernels, PreparedMatrix, RnnLaneRunner } from './types';

/**
 * out_a = diag(rowScale) M v_a for k vectors v_a (contiguous, [k][cols], vector a at a*cols);
 * M is [rows][cols] row-major; out is [k][rows]; rowScale null = identity. The kernel of the QR
 * iteration: a 2-row x 4-vector register block shares each load of M and v (about 2x faster than
 * one dot product at a time in V8).
 */
export function matTimesVectors(
  M: Float64Array,
  rows: number,
  cols: number,
  v: Float64Array,
  k: number,
  out: Float64Array,
  rowScale: Float64Array | null,
): void {
  let a = 0;
  for (; a + 4 <= k; a += 4) {
    const o0 = a * cols;
    const o1 = o0 + cols;
    const o2 = o1 + cols;
    const o3 = o2 + cols;
    const w0 = a * rows;
    const w1 = w0 + rows;
    const w2 = w1 + rows;
    const w3 = w2 + rows;
    let i = 0;
    for (; i + 2 <= rows; i += 2) {
      const r = i * cols;
      const r2 = r + cols;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        t0 = 0,
        t1 = 0,
        t2 = 0,
        t3 = 0;
      for (let j = 0; j < cols; j++) {
        const m = M[r + j];
        const n = M[r2 + j];
        const x0 = v[o0 + j];
        const x1 = v[o1 + j];
        const x2 = v[o2 + j];
        const x3 = v[o3 + j];
        s0 += m * x0;
        s1 += m * x1;
        s2 += m * x2;
        s3 += m * x3;
        t0 += n * x0;
        t1 += n * x1;
        t2 += n * x2;
        t3 += n * x3;
      }
      const sc = rowScale ? rowScale[i] : 1;
      const sd = rowScale ? rowScale[i + 1] : 1;
      out[w0 + i] = s0 * sc;
      out[w1 + i] = s1 * sc;
      out[w2 + i] = s2 * sc;
      out[w3 + i] = s3 * sc;
      out[w0 + i + 1] = t0 * sd;
      out[w1 + i + 1] = t1 * sd;
      out[w2 + i + 1] = t2 * sd;
      out[w3 + i + 1] = t3 * sd;
    }
    for (; i < rows; i++) {
      const r = i * cols;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let j = 0; j < cols; j++) {
        const m = M[r + j];
        s0 += m * v[o0 + j];
        s1 += m * v[o1 + j];
        s2 += m * v[o2 + j];
        s3 += m * v[o3 + j];
      }
      const sc = rowScale ? rowScale[i] : 1;
      out[w0 + i] = s0 * sc;
      out[w1 + i] = s1 * sc;
      out[w2 + i] = s2 * sc;
      out[w3 + i] = s3 * sc;
    }
  }
  for (; a < k; a++) {
    const o = a * cols;
    for (let i = 0; i < rows; i++) {
      const r = i * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += M[r + j] * v[o + j];
      out[a * rows + i] = s * (rowScale ? rowScale[i] : 1);
    }
  }
}

/**
 * Orthonormalises V ([k][S], vectors contiguous) in place into Q and writes R ([k][k] row-major,
 * upper triangular, R[a*k + b] for a <= b, diag > 0) such that V_in = Q R.
 * A vector that is numerically dependent on the previous ones gets R[a][a] = 0 and is replaced by a
 * unit vector orthogonal to them (so Q stays orthonormal).
 */
export function mgsQrJs(V: Float64Array, S: number, k: number, R: Float64Array): void {
  R.fill(0, 0, k * k);
  for (let a = 0; a < k; a++) {
    const oa = a * S;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const ob = b * S;
        // Four partial sums by i mod 4 (the two f64x2 accumulators of the WASM kernel): the dot
        // product is latency-bound otherwise. Tail: a pair joins sums 0 and 1, a last odd entry sum 0.
        let c0 = 0;
        let c1 = 0;
        let c2 = 0;
        let c3 = 0;
        let i = 0;
        for (; i + 4 <= S; i += 4) {
          c0 += V[ob + i] * V[oa + i];
          c1 += V[ob + i + 1] * V[oa + i + 1];
          c2 += V[ob + i + 2] * V[oa + i + 2];
          c3 += V[ob + i + 3] * V[oa + i + 3];
        }
        if (i + 2 <= S) {
          c0 += V[ob + i] * V[oa + i];
          c1 += V[ob + i + 1] * V[oa + i + 1];
          i += 2;
        }
        if (i < S) c0 += V[ob + i] * V[oa + i];
        const c = c0 + c2 + (c1 + c3);
        for (let j = 0; j < S; j++) V[oa + j] -= c * V[ob + j];
        R[b * k + a] += c;
      }
    }
    let nrm = 0;
    for (let i = 0; i < S; i++) nrm += V[oa + i] * V[oa + i];
    nrm = Math.sqrt(nrm);
    if (nrm > 1e-300 && Number.isFinite(nrm)) {
      R[a * k + a] = nrm;
      const inv = 1 / nrm;
      for (let i = 0; i < S; i++) V[oa + i] *= inv;
    } else {
      R[a * k + a] = 0;
      completeBasisVector(V, S, a);
    }
  }
}

/** Writes into slot a a unit vector orthogonal to vectors 0..a-1 (tries e_0, e_1, ...). */
function completeBasisVector(V: Float64Array, S: number, a: number): void {
  const oa = a * S;
  for (let e = 0; e < S; e++) {
    V.fill(0, oa, oa + S);
    V[oa + e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const ob = b * S;
        let c = 0;
        for (let i = 0; i < S; i++) c += V[ob + i] * V[oa + i];
        for (let i = 0; i < S; i++) V[oa + i] -= c * V[ob + i];
      }
    }
    let nrm = 0;
    for (let i = 0; i < S; i++) nrm += V[oa + i] * V[oa + i];
    nrm = Math.sqrt(nrm);
    if (nrm > 1e-8) {
      for (let i = 0; i < S; i++) V[oa + i] /= nrm;
      return;
    }
  }
}

/**
 * Eight tanh-RNN lanes in plain JS: every W_hh entry loaded serves 8 state vectors (about 3x
 * faster than one trajectory at a time in V8). Shapes: see RnnLaneRunner.
 */
export function createJsRnnLanes(
  Whh: Float64Array,
  N: number,
  drive: Float64Array,
  flipped: Float64Array,
  _B: number,
  T: number,
): RnnLaneRunner {
  const H2 = new Float64Array(8 * N);
  return {
    run(b: number, tStart: number, mask: Uint8Array, H: Float64Array): void {
      let cur: Float64Array = H;
      let nxt: Float64Array = H2;
      const o0 = 0 * T,
        o1 = 1 * T,
        o2 = 2 * T,
        o3 = 3 * T,
        o4 = 4 * T,
        o5 = 5 * T,
        o6 = 6 * T,
        o7 = 7 * T;
      for (let t = tStart; t < T; t++) {
        const uo = (b * T + t) * N;
        const u0 = mask[o0 + t] ? flipped : drive;
        const u1 = mask[o1 + t] ? flipped : drive;
        const u2 = mask[o2 + t] ? flipped : drive;
        const u3 = mask[o3 + t] ? flipped : drive;
        const u4 = mask[o4 + t] ? flipped : drive;
        const u5 = mask[o5 + t] ? flipped : drive;
        const u6 = mask[o6 + t] ? flipped : drive;
        const u7 = mask[o7 + t] ? flipped : drive;
        for (let i = 0; i < N; i++) {
          let a0 = u0[uo + i],
            a1 = u1[uo + i],
            a2 = u2[uo + i],
            a3 = u3[uo + i];
          let a4 = u4[uo + i],
            a5 = u5[uo + i],
            a6 = u6[uo + i],
            a7 = u7[uo + i];
          const wo = i * N;
          for (let j = 0; j < N; j++) {
            const w = Whh[wo + j];
            const o = j * 8;
            a0 += w * cur[o];
            a1 += w * cur[o + 1];
            a2 += w * cur[o + 2];
            a3 += w * cur[o + 3];
            a4 += w * cur[o + 4];
            a5 += w * cur[o + 5];
            a6 += w * cur[o + 6];
            a7 += w * cur[o + 7];
          }
          const o = i * 8;
          nxt[o] = Math.tanh(a0);
          nxt[o + 1] = Math.tanh(a1);
          nxt[o + 2] = Math.tanh(a2);
          nxt[o + 3] = Math.tanh(a3);
          nxt[o + 4] = Math.tanh(a4);
          nxt[o + 5] = Math.tanh(a5);
          nxt[o + 6] = Math.tanh(a6);
          nxt[o + 7] = Math.tanh(a7);
        }
        const tmp = cur;
        cur = nxt;
        nxt = tmp;
      }
      if (cur !== H) H.set(cur.subarray(0, 8 * N));
    },
  };
}

/** The pure-JS kernels (what src/core uses unless others are injected). */
export const jsAnalysisKernels: AnalysisKernels = {
  kind: 'js',
  matrix(M: Float64Array, rows: number, cols: number): PreparedMatrix {
    return {
      rows,
      cols,
      timesVectors: (v, k, out, rowScale) => matTimesVectors(M, rows, cols, v, k, out, rowScale),
      timesVectorsQr(v, k, out, rowScale, R) {
        matTimesVectors(M, rows, cols, v, k, out, rowScale);
        mgsQrJs(out, rows, k, R);
      },
    };
  },
  mgsQr: mgsQrJs,
  rnnLanes: createJsRnnLanes,
};
