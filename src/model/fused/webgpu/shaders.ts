/**
 * WGSL sources of the fused-webgpu training engine (engine.ts runs them; docs/gpu-engines.md
 * describes the passes). The model sizes N, D, C, the parameter layout and the optimiser are baked
 * in as constants; what changes per call (batch size B, steps T, the step range of a chunk, the
 * learning-rate corrections) comes from one uniform `Params` slot per dispatch (dynamic offset).
 *
 * Buffers (float32 unless said):
 * - wts   [NP | N*N]: parameters in RNN_TENSOR_NAMES order [W_ih N*D | W_hh N*N | b_ih N | b_hh N |
 *         fc.weight C*N | fc.bias C], then W_hh^T (so the forward matvec reads it coalesced);
 * - opt   [3 * NP]: gradients | Adam m or RMSprop mean square | Adam v or RMSprop moment;
 * - xs    [B][T][D] batch-major inputs as the caller gives them; lbl [B] u32 labels;
 * - hist  [T+1][B][N] hidden states, slot 0 = h_0 = 0 (evaluation keeps only 2 slots: t mod 2);
 * - dac   [S][B][N] dL/da of one backward chunk of S steps;
 * - work  [4 | 2*B*N | B*C | B*C]: stats (loss, correct, squared grad norm, -) | dL/dh carry (2 slots,
 *         the per-step fallback ping-pongs) | logits Z | dL/dz;
 * - part  [splits][N][KC]: split-K partial sums of [dW_hh | dW_ih | db] (KC = N + D + 1 columns).
 */
import { TANH_COEFFICIENTS } from '../../fast/kernels';
import type { OptimizerName } from '../../rnn';
import { type StorageBinding, storageBindings, u32Constants } from './bindings';

/** Bytes of one Params struct; slots are spaced by the device's minUniformBufferOffsetAlignment. */
export const PARAMS_BYTES = 80;

/** Field order of Params (u32 then f32), shared by the WGSL struct and the CPU writer. */
export interface ParamsSlot {
  B: number;
  T: number;
  t0: number;
  t1: number;
  cbase?: number;
  rows?: number;
  first?: number;
  /** bit 0: readout writes gradients; bit 1: forward keeps the whole history. */
  flags?: number;
  splits?: number;
  scale?: number;
  lr?: number;
  eps?: number;
  c1?: number;
  c2?: number;
  clip?: number;
}

export const FLAG_GRAD = 1;
export const FLAG_KEEP = 2;

/** Writes `s` into `view` at byte `offset` in the Params layout. */
export function writeParams(view: DataView, offset: number, s: ParamsSlot): void {
  const u = [s.B, s.T, s.t0, s.t1, s.cbase ?? 0, s.rows ?? 0, s.first ?? 0, s.flags ?? 0, s.splits ?? 0, 0, 0, 0];
  const f = [s.scale ?? 0, s.lr ?? 0, s.eps ?? 0, s.c1 ?? 0, s.c2 ?? 0, s.clip ?? 0, 0, 0];
  u.forEach((v, i) => view.setUint32(offset + 4 * i, v, true));
  f.forEach((v, i) => view.setFloat32(offset + 48 + 4 * i, v, true));
}

export interface ShaderDims {
  N: number;
  D: number;
  C: number;
  hasBias: boolean;
  optimizer: OptimizerName;
}

const lit = (v: number) => (Number.isInteger(v) ? `${v}.0` : v.toExponential(17));

function header(d: ShaderDims): string {
  const NP = d.N * d.D + d.N * d.N + 2 * d.N + d.C * d.N + d.C;
  const t = TANH_COEFFICIENTS;
  return /* wgsl */ `
struct Params {
  B: u32, T: u32, t0: u32, t1: u32,
  cbase: u32, rows: u32, first: u32, flags: u32,
  splits: u32, u9: u32, u10: u32, u11: u32,
  scale: f32, lr: f32, eps: f32, c1: f32,
  c2: f32, clip: f32, f6: f32, f7: f32,
};
@group(0) @binding(0) var<uniform> p: Params;
${u32Constants({ N: d.N, D: d.D, C: d.C, NP })}
const KC: u32 = N + D + 1u;
const WIH: u32 = 0u;
const WHH: u32 = N * D;
const BIH: u32 = WHH + N * N;
const BHH: u32 = BIH + N;
const FCW: u32 = BHH + N;
const FCB: u32 = FCW + C * N;
const WHHT: u32 = NP;
const HAS_BIAS: bool = ${d.hasBias};
// work buffer: stats at 0..3, then the dL/dh carry (2 slots of B*N), logits, dL/dz.
const STATS: u32 = 0u;
const DH: u32 = 4u;

// The rational tanh of the fast engine (src/model/fast/kernels.ts), same coefficients, in f32.
fn tanh_r(x: f32) -> f32 {
  let v = clamp(x, -${lit(t.clamp)}, ${lit(t.clamp)});
  let x2 = v * v;
  let num = v * (${lit(t.num[0])} + x2 * (${lit(t.num[1])} + x2 * (${lit(t.num[2])} + x2 * (${lit(t.num[3])} + x2 * (${lit(t.num[4])} + x2 * (${lit(t.num[5])} + x2 * ${lit(t.num[6])}))))));
  let den = ${lit(t.den[0])} + x2 * (${lit(t.den[1])} + x2 * (${lit(t.den[2])} + x2 * ${lit(t.den[3])}));
  return num / den;
}

// History slot of step t: t itself when the whole history is kept (training), else t mod 2.
fn slot_of(t: u32) -> u32 {
  if ((p.flags & ${FLAG_KEEP}u) != 0u) { return t; }
  return t % 2u;
}

// Flat invocation index of a 1-D problem dispatched as a 2-D grid of 256-wide workgroups.
fn flat_index(lid: u32, wid: vec3<u32>, nw: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nw.x) * 256u + lid;
}
`;
}

/**
 * Storage bindings (1..) of each kernel, in binding order (engine.ts builds its layouts from them);
 * binding 0 is the Params uniform.
 */
export const KERNEL_BINDINGS = {
  /** The forward recurrence (fused and per step). */
  forward: [
    ['wts', 'read'],
    ['xs', 'read'],
    ['hist', 'read_write'],
  ],
  /** The backward recurrence (fused and per step). */
  backward: [
    ['wts', 'read'],
    ['hist', 'read'],
    ['dac', 'read_write'],
    ['work', 'read_write'],
  ],
  /** The readout. */
  readout: [
    ['wts', 'read_write'],
    ['opt', 'read_write'],
    ['hist', 'read_write'],
    ['lbl', 'read_write', 'u32'],
    ['work', 'read_write'],
  ],
  /** The weight-gradient gemm. */
  gemm: [
    ['hist', 'read'],
    ['xs', 'read'],
    ['dac', 'read'],
    ['part', 'read_write'],
  ],
  /** The split-K reduce. */
  reduce: [
    ['part', 'read_write'],
    ['opt', 'read_write'],
  ],
  /** The gradient norm. */
  norm: [
    ['opt', 'read_write'],
    ['work', 'read_write'],
  ],
  /** The optimiser step. */
  optimizer: [
    ['wts', 'read_write'],
    ['opt', 'read_write'],
    ['work', 'read_write'],
  ],
} satisfies Record<string, StorageBinding[]>;

/** A kernel's shared header (Params uniform, constants, helpers) and its storage bindings. */
function kernelHeader(d: ShaderDims, bindings: StorageBinding[]): string {
  return `${header(d)}
${storageBindings(bindings, 1)}`;
}

/** Constants of the lane kernels: G sequences per workgroup, WG threads, U = ceil(N / WG) units per thread. */
function laneConstants(G: number, WG: number, U: number): string {
  return `${u32Constants({ G, WG, U })}
const GN: u32 = G * N;`;
}

/** Entry point of the 1-D kernels, 256-wide workgroups on a 2-D grid (flat_index gives the invocation). */
const FLAT_MAIN = `
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {`;

/**
 * Forward recurrence for steps t0+1..t1 of G sequences per workgroup, h in workgroup memory
 * (ping-pong, one barrier per step). WG threads; each owns hidden units lid, lid+WG, ... (U of them).
 * h_t = tanh(b_ih + b_hh + W_ih x_t + W_hh h_{t-1}); reads h_t0 from hist (zeros when t0 = 0).
 */
export function forwardFusedWgsl(d: ShaderDims, G: number, WG: number): string {
  const U = Math.ceil(d.N / WG);
  return `${kernelHeader(d, KERNEL_BINDINGS.forward)}
${laneConstants(G, WG, U)}
var<workgroup> hs: array<f32, ${2 * G * d.N}>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let B = p.B;
  let b0 = wid.x * G;
  let keep = (p.flags & ${FLAG_KEEP}u) != 0u;
  for (var k = lid; k < GN; k += WG) {
    let b = b0 + k / N;
    let i = k % N;
    var v = 0.0;
    if (b < B) {
      if (p.t0 > 0u) {
        v = hist[(slot_of(p.t0) * B + b) * N + i];
      } else if (keep) {
        hist[b * N + i] = 0.0;
      }
    }
    hs[k] = v;
  }
  workgroupBarrier();
  var src = 0u;
  for (var t = p.t0 + 1u; t <= p.t1; t++) {
    let dst = GN - src;
    let store = keep || t == p.t1;
    for (var u = 0u; u < U; u++) {
      let i = lid + u * WG;
      if (i < N) {
        var acc: array<f32, G>;
        let bias = wts[BIH + i] + wts[BHH + i];
        for (var g = 0u; g < G; g++) {
          let b = min(b0 + g, B - 1u);
          var s = bias;
          for (var q = 0u; q < D; q++) {
            s += wts[WIH + i * D + q] * xs[(b * p.T + t - 1u) * D + q];
          }
          acc[g] = s;
        }
        for (var j = 0u; j < N; j++) {
          let w = wts[WHHT + j * N + i];
          for (var g = 0u; g < G; g++) {
            acc[g] += w * hs[src + g * N + j];
          }
        }
        for (var g = 0u; g < G; g++) {
          let h = tanh_r(acc[g]);
          hs[dst + g * N + i] = h;
          let b = b0 + g;
          if (b < B && store) {
            hist[(slot_of(t) * B + b) * N + i] = h;
          }
        }
      }
    }
    workgroupBarrier();
    src = dst;
  }
}
`;
}

/**
 * Backward recurrence for steps t1 down to t0+1 of G sequences per workgroup: dA_t = dH_t ⊙ (1 - h_t²)
 * into dac (row (t-1-cbase)*B + b) and dH_{t-1} = W_hh^T dA_t, with dA_t in workgroup memory. The
 * carry dH enters from work[DH] (dH_t1) and leaves there as dH_t0.
 */
export function backwardFusedWgsl(d: ShaderDims, G: number, WG: number): string {
  const U = Math.ceil(d.N / WG);
  return `${kernelHeader(d, KERNEL_BINDINGS.backward)}
${laneConstants(G, WG, U)}
var<workgroup> das: array<f32, ${2 * G * d.N}>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let B = p.B;
  let b0 = wid.x * G;
  // Function-scope arrays are zeroed explicitly: SwiftShader's compiler did not re-zero one declared in a loop.
  var dh: array<f32, ${U * G}>;
  for (var q = 0u; q < U * G; q++) { dh[q] = 0.0; }
  for (var u = 0u; u < U; u++) {
    for (var g = 0u; g < G; g++) {
      let i = lid + u * WG;
      let b = b0 + g;
      if (i < N && b < B) { dh[u * G + g] = work[DH + b * N + i]; }
    }
  }
  var buf = 0u;
  for (var t = p.t1; t > p.t0; t--) {
    for (var u = 0u; u < U; u++) {
      let i = lid + u * WG;
      if (i < N) {
        for (var g = 0u; g < G; g++) {
          let b = b0 + g;
          var da = 0.0;
          if (b < B) {
            let h = hist[(t * B + b) * N + i];
            da = dh[u * G + g] * (1.0 - h * h);
            dac[((t - 1u - p.cbase) * B + b) * N + i] = da;
          }
          das[buf + g * N + i] = da;
        }
      }
    }
    workgroupBarrier();
    for (var u = 0u; u < U; u++) {
      let j = lid + u * WG;
      if (j < N) {
        var s: array<f32, G>;
        for (var g = 0u; g < G; g++) { s[g] = 0.0; }
        for (var i = 0u; i < N; i++) {
          let w = wts[WHH + i * N + j];
          for (var g = 0u; g < G; g++) {
            s[g] += w * das[buf + g * N + i];
          }
        }
        for (var g = 0u; g < G; g++) { dh[u * G + g] = s[g]; }
      }
    }
    buf = GN - buf;
  }
  for (var u = 0u; u < U; u++) {
    for (var g = 0u; g < G; g++) {
      let i = lid + u * WG;
      let b = b0 + g;
      if (i < N && b < B) { work[DH + b * N + i] = dh[u * G + g]; }
    }
  }
}
`;
}

/** Forward of one step t = t1 with h_{t-1} read from hist: one invocation per (b, i) (the fallback). */
export function forwardStepWgsl(d: ShaderDims): string {
  return `${kernelHeader(d, KERNEL_BINDINGS.forward)}
${FLAT_MAIN}
  let k = flat_index(lid, wid, nw);
  let B = p.B;
  if (k >= B * N) { return; }
  let b = k / N;
  let i = k % N;
  let t = p.t1;
  var s = wts[BIH + i] + wts[BHH + i];
  for (var q = 0u; q < D; q++) {
    s += wts[WIH + i * D + q] * xs[(b * p.T + t - 1u) * D + q];
  }
  if (t > 1u) {
    let base = (slot_of(t - 1u) * B + b) * N;
    for (var j = 0u; j < N; j++) { s += wts[WHHT + j * N + i] * hist[base + j]; }
  } else if ((p.flags & ${FLAG_KEEP}u) != 0u) {
    hist[b * N + i] = 0.0;
  }
  hist[(slot_of(t) * B + b) * N + i] = tanh_r(s);
}
`;
}

/**
 * Backward of one step t = t1 (the fallback): one invocation per (b, j) writes dA_t[b][j] and
 * dH_{t-1}[b][j] = sum_i W_hh[i][j] dH_t[b][i] (1 - h_t[b][i]²). The carry ping-pongs between the
 * two work slots: step t reads slot (T - t) mod 2 (t0 holds T), writes the other.
 */
export function backwardStepWgsl(d: ShaderDims): string {
  return `${kernelHeader(d, KERNEL_BINDINGS.backward)}
${FLAT_MAIN}
  let k = flat_index(lid, wid, nw);
  let B = p.B;
  if (k >= B * N) { return; }
  let b = k / N;
  let j = k % N;
  let t = p.t1;
  let rs = DH + ((p.t0 - t) % 2u) * B * N + b * N;
  let ws = DH + ((p.t0 - t + 1u) % 2u) * B * N + b * N;
  let hb = (t * B + b) * N;
  let h = hist[hb + j];
  dac[((t - 1u - p.cbase) * B + b) * N + j] = work[rs + j] * (1.0 - h * h);
  if (t > 1u) {
    var s = 0.0;
    for (var i = 0u; i < N; i++) {
      let hi = hist[hb + i];
      s += wts[WHH + i * N + j] * (work[rs + i] * (1.0 - hi * hi));
    }
    work[ws + j] = s;
  }
}
`;
}

/**
 * Readout, one workgroup of 256: logits Z = fc.weight h_T + fc.bias, per-sample CE (log-sum-exp),
 * argmax, the batch's reduced loss (x scale) and correct count into work[STATS]; with FLAG_GRAD also
 * dL/dz = (softmax - onehot) x scale, the carry dH_T = dL/dz fc.weight, and the fc gradients.
 */
export function readoutWgsl(d: ShaderDims): string {
  return `${kernelHeader(d, KERNEL_BINDINGS.readout)}
var<workgroup> red: array<f32, 256>;
var<workgroup> redc: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  let B = p.B;
  let hT = slot_of(p.T) * B * N;
  let Z = DH + 2u * B * N;
  let DZ = Z + B * C;
  let grad = (p.flags & ${FLAG_GRAD}u) != 0u;
  for (var k = lid; k < B * C; k += 256u) {
    let b = k / C;
    let c = k % C;
    var s = 0.0;
    for (var i = 0u; i < N; i++) { s += wts[FCW + c * N + i] * hist[hT + b * N + i]; }
    work[Z + k] = s + wts[FCB + c];
  }
  storageBarrier();
  var ls = 0.0;
  var cc = 0.0;
  for (var b = lid; b < B; b += 256u) {
    let y = lbl[b];
    var mx = work[Z + b * C];
    var arg = 0u;
    for (var c = 1u; c < C; c++) {
      let z = work[Z + b * C + c];
      if (z > mx) { mx = z; arg = c; }
    }
    var se = 0.0;
    for (var c = 0u; c < C; c++) { se += exp(work[Z + b * C + c] - mx); }
    let lse = mx + log(se);
    ls += lse - work[Z + b * C + y];
    if (arg == y) { cc += 1.0; }
    if (grad) {
      for (var c = 0u; c < C; c++) {
        work[DZ + b * C + c] = (exp(work[Z + b * C + c] - lse) - select(0.0, 1.0, c == y)) * p.scale;
      }
    }
  }
  red[lid] = ls;
  redc[lid] = cc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) {
      red[lid] += red[lid + s];
      redc[lid] += redc[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    work[STATS] = red[0] * p.scale;
    work[STATS + 1u] = redc[0];
  }
  if (!grad) { return; }
  storageBarrier();
  for (var k = lid; k < B * N; k += 256u) {
    let b = k / N;
    let j = k % N;
    var s = 0.0;
    for (var c = 0u; c < C; c++) { s += work[DZ + b * C + c] * wts[FCW + c * N + j]; }
    work[DH + k] = s;
  }
  for (var k = lid; k < C * N; k += 256u) {
    let c = k / N;
    let i = k % N;
    var s = 0.0;
    for (var b = 0u; b < B; b++) { s += work[DZ + b * C + c] * hist[hT + b * N + i]; }
    opt[FCW + k] = s;
  }
  for (var c = lid; c < C; c += 256u) {
    var s = 0.0;
    for (var b = 0u; b < B; b++) { s += work[DZ + b * C + c]; }
    opt[FCB + c] = s;
  }
}
`;
}

/**
 * Weight gradients of one backward chunk as one tiled gemm: part[split][i][k] (+)= sum over the
 * chunk's rows r = (t-1-cbase)*B + b of dA[r][i] * V[r][k], V[r] = [h_{t-1}[b] | x_t[b] | 1].
 * 64x64 output tiles, 256 threads with 4x4 outputs each, 16-row K slabs in workgroup memory; grid
 * (ceil(N/64), ceil(KC/64), splits), split s sums rows [rows*s/splits, rows*(s+1)/splits).
 */
export function gradGemmWgsl(d: ShaderDims): string {
  return `${kernelHeader(d, KERNEL_BINDINGS.gemm)}
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let B = p.B;
  let m0 = wid.x * 64u;
  let n0 = wid.y * 64u;
  let split = wid.z;
  let rs = (p.rows * split) / p.splits;
  let re = (p.rows * (split + 1u)) / p.splits;
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<f32, 16>;
  for (var q = 0u; q < 16u; q++) { acc[q] = 0.0; }
  for (var r0 = rs; r0 < re; r0 += 16u) {
    for (var q = 0u; q < 4u; q++) {
      let e = lid + q * 256u;
      let r = r0 + e / 64u;
      let col = e % 64u;
      var a = 0.0;
      var v = 0.0;
      if (r < re) {
        let i = m0 + col;
        if (i < N) { a = dac[r * N + i]; }
        let kc = n0 + col;
        if (kc < KC) {
          let b = r % B;
          let tm1 = p.cbase + r / B;
          if (kc < N) {
            v = hist[(tm1 * B + b) * N + kc];
          } else if (kc < N + D) {
            v = xs[(b * p.T + tm1) * D + (kc - N)];
          } else {
            v = 1.0;
          }
        }
      }
      As[e] = a;
      Bs[e] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var q = 0u; q < 4u; q++) {
        av[q] = As[kk * 64u + ty + 16u * q];
        bv[q] = Bs[kk * 64u + tx + 16u * q];
      }
      for (var q = 0u; q < 4u; q++) {
        for (var s = 0u; s < 4u; s++) { acc[q * 4u + s] += av[q] * bv[s]; }
      }
    }
    workgroupBarrier();
  }
  for (var q = 0u; q < 4u; q++) {
    for (var s = 0u; s < 4u; s++) {
      let i = m0 + ty + 16u * q;
      let kc = n0 + tx + 16u * s;
      if (i < N && kc < KC) {
        let o = (split * N + i) * KC + kc;
        if (p.first == 1u) { part[o] = acc[q * 4u + s]; } else { part[o] += acc[q * 4u + s]; }
      }
    }
  }
}
`;
}

/** Sums the split-K partials into the gradient block: dW_hh, dW_ih, and db into both bias slots. */
export function gradReduceWgsl(d: ShaderDims): string {
  return `${kernelHeader(d, KERNEL_BINDINGS.reduce)}
${FLAT_MAIN}
  let k = flat_index(lid, wid, nw);
  if (k >= N * KC) { return; }
  let i = k / KC;
  let kc = k % KC;
  var s = 0.0;
  for (var sp = 0u; sp < p.splits; sp++) { s += part[(sp * N + i) * KC + kc]; }
  if (kc < N) {
    opt[WHH + i * N + kc] = s;
  } else if (kc < N + D) {
    opt[WIH + i * D + (kc - N)] = s;
  } else {
    opt[BIH + i] = s;
    opt[BHH + i] = s;
  }
}
`;
}

/** Squared global norm of the trained gradients (biases only with bias on) into work[STATS + 2]. */
export function gradNormWgsl(d: ShaderDims): string {
  return `${kernelHeader(d, KERNEL_BINDINGS.norm)}
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var e = lid; e < NP; e += 256u) {
    if (HAS_BIAS || e < BIH || e >= FCW) {
      let g = opt[e];
      s += g * g;
    }
  }
  red[lid] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid < w) { red[lid] += red[lid + w]; }
    workgroupBarrier();
  }
  if (lid == 0u) { work[STATS + 2u] = red[0]; }
}
`;
}

/**
 * The optimiser step of FastRnn.applyGradients, one invocation per parameter: clip scale from the
 * squared norm (when clip > 0), then SGD, Adam (c1, c2 = 1 - beta^t) or RMSprop; W_hh's new values
 * are also written transposed into W_hh^T.
 */
export function optimizerWgsl(d: ShaderDims): string {
  const update =
    d.optimizer === 'adam'
      ? `let m = opt[NP + e] * 0.9 + g * 0.1;
  let v = opt[2u * NP + e] * 0.999 + g * g * 0.001;
  opt[NP + e] = m;
  opt[2u * NP + e] = v;
  let mHat = m / p.c1;
  let vHat = v / p.c2;
  w = w - (p.lr * mHat) / (sqrt(vHat) + p.eps);`
      : d.optimizer === 'rmsprop'
        ? `let ms = opt[NP + e] * 0.9 + g * g * 0.1;
  let mom = opt[2u * NP + e] * 0.0 + (g * p.lr) / sqrt(ms + p.eps);
  opt[NP + e] = ms;
  opt[2u * NP + e] = mom;
  w = w - mom;`
        : `w = w - p.lr * g;`;
  return `${kernelHeader(d, KERNEL_BINDINGS.optimizer)}
${FLAT_MAIN}
  let e = flat_index(lid, wid, nw);
  if (e >= NP) { return; }
  if (!HAS_BIAS && e >= BIH && e < FCW) { return; }
  var scale = 1.0;
  if (p.clip > 0.0) {
    let norm = sqrt(work[STATS + 2u]);
    scale = min(1.0, p.clip / max(norm, 1e-12));
  }
  let g = opt[e] * scale;
  var w = wts[e];
  ${update}
  wts[e] = w;
  if (e >= WHH && e < BIH) {
    let q = e - WHH;
    wts[WHHT + (q % N) * N + q / N] = w;
  }
}
`;
}
