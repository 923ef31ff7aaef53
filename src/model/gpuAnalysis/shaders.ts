/**
 * WGSL of the GPU analysis engine (engine.ts runs them; docs/gpu-engines.md, "GPU analysis engine").
 * Float32 throughout; the model sizes N, C and the lane count are baked in as constants.
 *
 * Buffers (float32 unless said):
 * - wts    [N*N | C*N | C]: W_hh^T (row j holds column j of W_hh, so a matvec's threads read it
 *          coalesced), fc.weight, fc.bias;
 * - drive  [B][T][N]: W_ih x_t + b_ih + b_hh of the unflipped inputs; fdrive the same for the
 *          flipped inputs (x < 0.001 -> 1, else 0), both computed on the CPU in float64;
 * - traj   [B][T+1][N]: the base trajectory, slot 0 = h_0 = 0; deriv [B][T+1][N] = 1 - h_t^2
 *          computed from the pre-activation (exact where f32 tanh rounds to +-1, see tanhDeriv);
 * - jobs   u32 [M][4]: probe, first flipped step t0 (T = none), start and end of its steps in `steps`
 *          (ascending, u32); logits out [M][C];
 * - q, v   [B][k][N] (vector-major), lnr [B][T][k], qat [B][slots][k][N], keep i32 [T+1] (slot or -1).
 */
import { kernelPreamble, type StorageBinding } from '../fused/webgpu/bindings';

/** Accurate float32 tanh and its derivative from the pre-activation (no cancellation near 0 or at saturation). */
const MATH = /* wgsl */ `
fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.0625) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-0.33333333333 + x2 * (0.13333333333 + x2 * -0.053968253968)));
  }
  let e = exp(-2.0 * min(a, 20.0));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
// 1 - tanh(x)^2 = 4 e / (1 + e)^2 with e = exp(-2|x|): never rounds to 0 while tanh(x) rounds to 1.
fn tanh_deriv(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let d = 1.0 + e;
  return 4.0 * e / (d * d);
}
`;

/** Storage bindings (1..) of the flip kernel, in binding order; binding 0 is its uniform. */
export function flipBindings(record: boolean): StorageBinding[] {
  return [
    ['wts', 'read'],
    ['drive', 'read'],
    ['fdrive', 'read'],
    ['traj', record ? 'read_write' : 'read'],
    ['deriv', record ? 'read_write' : 'read'],
    ['jobs', 'read', 'u32'],
    ['steps', 'read', 'u32'],
    ['outz', 'read_write'],
  ];
}

/** Storage bindings (1..) of the QR kernel, in binding order; binding 0 is its uniform. */
export const QR_BINDINGS: StorageBinding[] = [
  ['wts', 'read'],
  ['deriv', 'read'],
  ['q', 'read_write'],
  ['v', 'read_write'],
  ['lnr', 'read_write'],
  ['qat', 'read_write'],
  ['keep', 'read', 'i32'],
];

/**
 * The flip-job forward pass: G jobs per workgroup (lanes), WG threads, each owning hidden units
 * lid, lid + WG, ...; each W_hh value read serves the G lanes. A workgroup starts at the smallest
 * first-flipped step of its lanes from the cached base states (a lane whose flips start later
 * recomputes a few base steps, as the CPU evaluator's 8-lane blocks do), runs to T with the
 * flipped drive where a lane's step is flipped, and writes each lane's logits.
 * `record`: the base pass itself (lanes = probes, no flips): also writes traj[t+1] and deriv[t+1].
 */
export function flipWgsl(N: number, C: number, G: number, WG: number, record: boolean): string {
  const U = Math.ceil(N / WG);
  return /* wgsl */ `
// Params: jobs in this dispatch, index of its first job, steps T, probes B.
struct P { M: u32, base: u32, T: u32, B: u32 };
${kernelPreamble('P', flipBindings(record), { N, C, G, WG, U })}
${MATH}
var<workgroup> hs: array<f32, ${2 * G * N}>;
var<workgroup> fl: array<u32, ${2 * G}>;
var<workgroup> cursor: array<u32, ${G}>;
var<workgroup> lane_probe: array<u32, ${G}>;
var<workgroup> t_start: u32;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let m0 = (wid.x + wid.y * nw.x) * G;
  let T = p.T;
  if (lid == 0u) {
    var ts = T;
    for (var g = 0u; g < G; g++) {
      let m = m0 + g;
      if (m < p.M) {
        let jo = (p.base + m) * 4u;
        lane_probe[g] = jobs[jo];
        ts = min(ts, jobs[jo + 1u]);
      } else {
        lane_probe[g] = 0u;
      }
    }
    t_start = ts;
  }
  let ts = workgroupUniformLoad(&t_start);
  // Each lane's flag for step ts, and its cursor past it.
  if (lid < G) {
    let m = m0 + lid;
    var c = 0u;
    var e = 0u;
    if (m < p.M) {
      let jo = (p.base + m) * 4u;
      c = jobs[jo + 2u];
      e = jobs[jo + 3u];
    }
    var f = 0u;
    if (c < e && steps[c] == ts) { f = 1u; c += 1u; }
    fl[(ts % 2u) * G + lid] = f;
    cursor[lid] = c;
  }
  for (var k = lid; k < G * N; k += WG) {
    let b = lane_probe[k / N];
    hs[(ts % 2u) * G * N + k] = traj[(b * (T + 1u) + ts) * N + k % N];
  }
  workgroupBarrier();
  for (var t = ts; t < T; t++) {
    let cur = (t % 2u) * G * N;
    let nxt = ((t + 1u) % 2u) * G * N;
    for (var u = 0u; u < U; u++) {
      let i = lid + u * WG;
      if (i < N) {
        // Zeroed explicitly: SwiftShader was seen to keep a loop-body array's values from the
        // previous iteration where WGSL says a declaration zero-fills it (every step after the 2nd was wrong).
        var acc: array<f32, ${G}>;
        for (var g = 0u; g < G; g++) { acc[g] = 0.0; }
        for (var j = 0u; j < N; j++) {
          let w = wts[j * N + i];
          for (var g = 0u; g < G; g++) { acc[g] += w * hs[cur + g * N + j]; }
        }
        for (var g = 0u; g < G; g++) {
          let b = lane_probe[g];
          let di = (b * T + t) * N + i;
          var a = acc[g];
          if (fl[(t % 2u) * G + g] == 1u) { a += fdrive[di]; } else { a += drive[di]; }
          let h = tanh_f(a);
          hs[nxt + g * N + i] = h;
${
  record
    ? `          if (m0 + g < p.M) {
            traj[(b * (T + 1u) + t + 1u) * N + i] = h;
            deriv[(b * (T + 1u) + t + 1u) * N + i] = tanh_deriv(a);
          }`
    : ''
}
        }
      }
    }
    if (lid < G) {
      let m = m0 + lid;
      var c = cursor[lid];
      var e = c;
      if (m < p.M) { e = jobs[(p.base + m) * 4u + 3u]; }
      var f = 0u;
      if (c < e && steps[c] == t + 1u) { f = 1u; c += 1u; }
      fl[((t + 1u) % 2u) * G + lid] = f;
      cursor[lid] = c;
    }
    workgroupBarrier();
  }
  let fin = (T % 2u) * G * N;
  for (var k = lid; k < G * C; k += WG) {
    let g = k / C;
    let c = k % C;
    let m = m0 + g;
    if (m < p.M) {
      var z = 0.0;
      for (var j = 0u; j < N; j++) { z += wts[N * N + c * N + j] * hs[fin + g * N + j]; }
      outz[(p.base + m) * C + c] = z + wts[N * N + C * N + c];
    }
  }
}
`;
}

/**
 * The QR iteration (method.md §2) for one probe per workgroup: V = diag(1 - h_t^2) W_hh Q_{t-1},
 * then modified Gram-Schmidt, right-looking (after q_a is normalised, its component leaves every
 * later vector at once): the same operations as the CPU's MGS, in f32, with diag R > 0 by
 * construction. Writes ln r [B][T][k] and Q_t at the kept steps; q ends as Q_T.
 */
export function qrWgsl(N: number, k: number, WG: number): string {
  return /* wgsl */ `
// Params: steps T, Q slots kept per probe.
struct P { T: u32, slots: u32, u2: u32, u3: u32 };
${kernelPreamble('P', QR_BINDINGS, { N, K: k, WG })}
var<workgroup> red: array<f32, ${WG}>;
var<workgroup> dots: array<f32, ${k}>;

// Sum of red[0..WG) into red[0] (every thread calls it).
fn reduce(lid: u32) {
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { red[lid] += red[lid + s]; }
  }
  workgroupBarrier();
}

fn keep_q(b: u32, t: u32, lid: u32) {
  let slot = keep[t];
  if (slot >= 0) {
    let qo = b * K * N;
    let so = (b * p.slots + u32(slot)) * K * N;
    for (var x = lid; x < K * N; x += WG) { qat[so + x] = q[qo + x]; }
  }
}

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let b = wid.x;
  let T = p.T;
  let qo = b * K * N;
  for (var x = lid; x < K * N; x += WG) { q[qo + x] = select(0.0, 1.0, x / N == x % N); }
  keep_q(b, 0u, lid);
  storageBarrier();
  for (var t = 1u; t <= T; t++) {
    let ho = (b * (T + 1u) + t) * N;
    for (var x = lid; x < K * N; x += WG) {
      let a = x / N;
      let i = x % N;
      var s = 0.0;
      for (var j = 0u; j < N; j++) { s += wts[j * N + i] * q[qo + a * N + j]; }
      v[qo + x] = deriv[ho + i] * s;
    }
    storageBarrier();
    for (var a = 0u; a < K; a++) {
      var s = 0.0;
      for (var i = lid; i < N; i += WG) { let x = v[qo + a * N + i]; s += x * x; }
      red[lid] = s;
      reduce(lid);
      let nrm = sqrt(red[0]);
      for (var i = lid; i < N; i += WG) { q[qo + a * N + i] = v[qo + a * N + i] / nrm; }
      if (lid == 0u) { lnr[(b * T + t - 1u) * K + a] = log(nrm); }
      storageBarrier();
      for (var c = a + 1u + lid; c < K; c += WG) {
        var d = 0.0;
        for (var i = 0u; i < N; i++) { d += q[qo + a * N + i] * v[qo + c * N + i]; }
        dots[c] = d;
      }
      workgroupBarrier();
      for (var x = lid; x < (K - a - 1u) * N; x += WG) {
        let c = a + 1u + x / N;
        let i = x % N;
        v[qo + c * N + i] -= dots[c] * q[qo + a * N + i];
      }
      storageBarrier();
    }
    keep_q(b, t, lid);
    storageBarrier();
  }
}
`;
}
