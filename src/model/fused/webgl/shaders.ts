/**
 * Fragment shaders of the fused-webgl RNN engine (GLSL ES 3.00, float32). Every shader draws one
 * rectangle of an RGBA32F texture; a texel holds 4 consecutive hidden units (or classes), so a
 * fragment computes 4 outputs with vec4 arithmetic.
 *
 * The parameter block (texture N4 x R, N4 = ceil(N/4)) holds every trained tensor as rows of N4
 * texels = 4*N4 floats (unit i of a row lives in texel i>>2, component i&3):
 *   rows [0, N)          W_hh^T: row j = column j of weight_hh_l0, i.e. W_hh[:, j]
 *   rows [N, N+D)        W_ih^T: row N+d = weight_ih_l0[:, d]
 *   row  N+D, N+D+1      bias_ih_l0, bias_hh_l0
 *   rows [N+D+2, +C)     fc.weight: row N+D+2+c = fc.weight[c, :]
 *   rows after that      fc.bias, flattened over ceil(C / (4*N4)) rows
 * Gradients and optimiser slots use the same block layout, so the optimiser is one draw.
 *
 * Hidden states h_t and dL/da_t (t = 1..T) live in "parity" textures: step t in texture t&1, tile
 * (t-1)>>1, each tile N4 x B texels, tiles laid out on a grid. Step t reads the other parity's
 * texture and writes its own: no read/write feedback without copies or extra draws. The h history
 * keeps all T steps; dA keeps a ring of the last chunk's steps (tile index mod the ring size).
 */
import { TANH_COEFFICIENTS } from '../../fast/kernels';

/** Row offsets of the parameter block (see the file comment). All counts in rows of N4 texels. */
export interface BlockLayout {
  N: number;
  D: number;
  C: number;
  /** Texels per row: ceil(N / 4). */
  N4: number;
  /** Texels per row of class values: ceil(C / 4). */
  C4: number;
  rowWih: number;
  rowBih: number;
  rowBhh: number;
  rowFc: number;
  rowFcb: number;
  /** Rows of the whole block. */
  R: number;
  /** Rows of the partial-sum texture: W_hh^T, W_ih^T and one shared bias row (N + D + 1). */
  gradRows: number;
}

export function blockLayout(N: number, D: number, C: number): BlockLayout {
  const N4 = Math.ceil(N / 4);
  const rowWih = N,
    rowBih = N + D,
    rowBhh = N + D + 1,
    rowFc = N + D + 2,
    rowFcb = rowFc + C;
  const R = rowFcb + Math.ceil(C / (4 * N4));
  return { N, D, C, N4, C4: Math.ceil(C / 4), rowWih, rowBih, rowBhh, rowFc, rowFcb, R, gradRows: N + D + 1 };
}

/** A float literal GLSL accepts (always with a decimal point or an exponent). */
function glf(x: number): string {
  const s = Math.fround(x).toPrecision(9);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function header(L: BlockLayout, extra = ''): string {
  const lastMask = [0, 1, 2, 3].map((k) => (4 * (L.N4 - 1) + k < L.N ? '1.0' : '0.0')).join(', ');
  return `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
#define N ${L.N}
#define N4 ${L.N4}
#define D ${L.D}
#define C ${L.C}
#define C4 ${L.C4}
#define ROW_WIH ${L.rowWih}
#define ROW_BIH ${L.rowBih}
#define ROW_BHH ${L.rowBhh}
#define ROW_FC ${L.rowFc}
#define ROW_FCB ${L.rowFcb}
#define R ${L.R}
// Components of the last texel of a row that are real units (N need not be a multiple of 4).
const vec4 LAST_MASK = vec4(${lastMask});
${extra}
`;
}

/** The engine's tanh: the rational approximation of fast/kernels.ts (same coefficients), in float32. */
function tanhGlsl(): string {
  const { clamp, num, den } = TANH_COEFFICIENTS;
  const poly = (cs: readonly number[], v: string) =>
    cs
      .slice()
      .reverse()
      .reduce((acc, c, i) => (i === 0 ? glf(c) : `(${glf(c)} + ${v} * ${acc})`), '');
  return `vec4 tanhApprox(vec4 x) {
  vec4 v = clamp(x, -${glf(clamp)}, ${glf(clamp)});
  vec4 x2 = v * v;
  vec4 p = v * ${poly(num, 'x2')};
  vec4 q = ${poly(den, 'x2')};
  return p / q;
}`;
}

/**
 * Tile origins (texels) from per-pass uniforms, so a per-step draw changes one integer uniform:
 * uGC / uGCD / uGCX tiles per row of the state history / dA ring / inputs, uBT rows per tile,
 * uRing tiles per parity in the dA ring.
 */
const TILES = `uniform int uGC;
uniform int uBT;
uniform int uGCX;
uniform int uRing;
uniform int uGCD;
ivec2 hTile(int k) { return ivec2((k % uGC) * N4, (k / uGC) * uBT); }
ivec2 tileOf(int t) { return hTile((t - 1) >> 1); }
ivec2 dTileOf(int t) { int k = ((t - 1) >> 1) % uRing; return ivec2((k % uGCD) * N4, (k / uGCD) * uBT); }
ivec2 xTileOf(int t) { int k = t - 1; return ivec2((k % uGCX) * D, (k / uGCX) * uBT); }`;

/** fc.bias[c] from the parameter block (flattened over the rows from ROW_FCB). */
const FC_BIAS = `float fcBias(sampler2D P, int c) {
  return texelFetch(P, ivec2((c % (4 * N4)) >> 2, ROW_FCB + c / (4 * N4)), 0)[c & 3];
}`;

/**
 * Forward step t = uStep: h_t[b] = tanh(b_ih + b_hh + W_ih x_t[b] + W_hh h_{t-1}[b]) for the 4
 * units of texel i4 of sequence b. Draw over the tile of h_t (N4 x B); h_0 = 0. With uHist = 1
 * h_t goes to tile (t-1)>>1 (the history), with 0 to tile 0 (evaluation: no history kept).
 * Units beyond N read zero weights and stay exactly 0; the W_hh rows of units j >= N are multiplied
 * by those zero states, so they contribute nothing.
 */
export function forwardShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uP;
uniform sampler2D uX;
uniform sampler2D uHprev;
uniform int uStep;
uniform int uHist;
out vec4 o;
${TILES}
${tanhGlsl()}
void main() {
  int t = uStep;
  ivec2 p = ivec2(gl_FragCoord.xy) - hTile(uHist == 1 ? (t - 1) >> 1 : 0);
  int i4 = p.x, b = p.y;
  ivec2 xo = xTileOf(t), prevO = hTile(uHist == 1 ? (t - 2) >> 1 : 0);
  vec4 a = texelFetch(uP, ivec2(i4, ROW_BIH), 0) + texelFetch(uP, ivec2(i4, ROW_BHH), 0);
  for (int d = 0; d < D; d++) a += texelFetch(uP, ivec2(i4, ROW_WIH + d), 0) * texelFetch(uX, xo + ivec2(d, b), 0).r;
  if (t > 1) {
    for (int j4 = 0; j4 < N4; j4++) {
      vec4 h = texelFetch(uHprev, prevO + ivec2(j4, b), 0);
      int r = 4 * j4;
      a += texelFetch(uP, ivec2(i4, r), 0) * h.x + texelFetch(uP, ivec2(i4, r + 1), 0) * h.y
         + texelFetch(uP, ivec2(i4, r + 2), 0) * h.z + texelFetch(uP, ivec2(i4, r + 3), 0) * h.w;
    }
  }
  o = tanhApprox(a);
}`;
}

/**
 * Readout and loss of the last step, one row per sequence b, columns 0..C4: logits
 * z = fc.weight h_T + fc.bias, log-sum-exp, then column c4 < C4 gets dL/dz of classes 4c4..4c4+3
 * ((softmax - onehot) * uScale, 0 beyond C) and column C4 gets (CE of b, 1 if argmax == label).
 * Labels come from the R32F texture uLab (row b). Argmax takes the first maximum (as FastRnn).
 */
export function readoutShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uP;
uniform sampler2D uHT;
uniform sampler2D uLab;
uniform ivec2 uHo;
uniform float uScale;
out vec4 o;
${FC_BIAS}
void main() {
  ivec2 q = ivec2(gl_FragCoord.xy);
  int col = q.x, b = q.y;
  float z[C];
  float mx = 0.0;
  int arg = 0;
  for (int c = 0; c < C; c++) {
    float s = fcBias(uP, c);
    for (int j4 = 0; j4 < N4; j4++) s += dot(texelFetch(uP, ivec2(j4, ROW_FC + c), 0), texelFetch(uHT, uHo + ivec2(j4, b), 0));
    z[c] = s;
    if (c == 0 || s > mx) { mx = s; arg = c; }
  }
  float se = 0.0;
  for (int c = 0; c < C; c++) se += exp(z[c] - mx);
  float lse = mx + log(se);
  int y = int(texelFetch(uLab, ivec2(0, b), 0).r + 0.5);
  if (col < C4) {
    vec4 g = vec4(0.0);
    for (int k = 0; k < 4; k++) {
      int c = 4 * col + k;
      if (c < C) g[k] = (exp(z[c] - lse) - (c == y ? 1.0 : 0.0)) * uScale;
    }
    o = g;
  } else {
    o = vec4(lse - z[y], arg == y ? 1.0 : 0.0, 0.0, 0.0);
  }
}`;
}

/** Sum over sequences b < uB of column C4 of the readout: (sum of CE, number correct) into one texel. */
export function lossSumShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uDZ;
uniform int uB;
out vec4 o;
void main() {
  vec2 s = vec2(0.0);
  for (int b = 0; b < uB; b++) s += texelFetch(uDZ, ivec2(C4, b), 0).xy;
  o = vec4(s, 0.0, 0.0);
}`;
}

/**
 * Backward step t = uStep < T: dA_t[b] = (1 - h_t^2) * (W_hh^T dA_{t+1}[b]) for the 4 units of
 * texel j4. Draw over dA_t's tile of the dA ring.
 */
export function backwardShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uP;
uniform sampler2D uH;
uniform sampler2D uDn;
uniform int uStep;
out vec4 o;
${TILES}
void main() {
  int t = uStep;
  ivec2 p = ivec2(gl_FragCoord.xy) - dTileOf(t);
  ivec2 hO = tileOf(t), nextO = dTileOf(t + 1);
  int j4 = p.x, b = p.y, r = 4 * p.x;
  vec4 dh = vec4(0.0);
  for (int i4 = 0; i4 < N4; i4++) {
    vec4 da = texelFetch(uDn, nextO + ivec2(i4, b), 0);
    dh += vec4(dot(da, texelFetch(uP, ivec2(i4, r), 0)), dot(da, texelFetch(uP, ivec2(i4, r + 1), 0)),
               dot(da, texelFetch(uP, ivec2(i4, r + 2), 0)), dot(da, texelFetch(uP, ivec2(i4, r + 3), 0)));
  }
  // Rows r+k >= N belong to W_ih / biases: their products are not units.
  if (j4 == N4 - 1) dh *= LAST_MASK;
  vec4 h = texelFetch(uH, hO + p, 0);
  o = dh * (1.0 - h * h);
}`;
}

/** Backward step T: dA_T[b] = (1 - h_T^2) * (fc.weight^T dz[b]) with dz from the readout texture. */
export function backwardLastShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uP;
uniform sampler2D uH;
uniform sampler2D uDZ;
uniform ivec2 uOut;
uniform ivec2 uHo;
out vec4 o;
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy) - uOut;
  int j4 = p.x, b = p.y;
  vec4 dh = vec4(0.0);
  for (int c = 0; c < C; c++) dh += texelFetch(uDZ, ivec2(c >> 2, b), 0)[c & 3] * texelFetch(uP, ivec2(j4, ROW_FC + c), 0);
  vec4 h = texelFetch(uH, uHo + p, 0);
  o = dh * (1.0 - h * h);
}`;
}

/**
 * Partial sums of the recurrent-layer gradients over a slice of time steps (split-K: each slice
 * is its own N4-wide column block of the output, so many fragments run in parallel and each loops
 * over only uTc steps x uB sequences). A fragment computes a 4 x 4 block: units i = 4*i4..4*i4+3
 * (its texel) times gradient rows r = 4*rq..4*rq+3, written to the four render targets (row r to
 * target r & 3, texel (s*N4 + i4, r >> 2)). Each (t, b) then costs two fetches for 16 products
 * where a 4 x 1 block cost two for 4: on the H100 this pass was the largest part of a step at N = 512.
 *   r < N:       sum dA_t[b, i] h_{t-1}[b, r]   (dW_hh[i, r]; t >= 2, h_0 = 0)
 *   N <= r < N+D: sum dA_t[b, i] x_t[b, r-N]   (dW_ih[i, r-N])
 *   r = N+D:     sum dA_t[b, i]                (both bias gradients)
 * over steps t of slice s: [s*uTc + 1, min((s+1)*uTc, uT)], each step's sum over b added in t
 * order (as a 4 x 1 block added them). Tile grids: uGC tiles per row of the state history (tile
 * N4 x uBT), uGCX per row of the input texture (tile D x uBT); dA_t lives in the dA ring: tile
 * ((t-1)>>1) mod uRing, uGCD tiles per row. The engine draws the slices of a chunk of steps right
 * after BPTT has produced them, before the ring reuses their tiles.
 */
export function gradPartialShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uX;
uniform sampler2D uH0;
uniform sampler2D uH1;
uniform sampler2D uD0;
uniform sampler2D uD1;
uniform int uB;
uniform int uT;
uniform int uTc;
layout(location = 0) out vec4 o0;
layout(location = 1) out vec4 o1;
layout(location = 2) out vec4 o2;
layout(location = 3) out vec4 o3;
${TILES}
// Rows 4rq..4rq+3 all of W_hh (t >= 2): one h texel holds the four row values.
void blockH(sampler2D dA, sampler2D hPrev, int t, int i4, int rq, inout vec4 a0, inout vec4 a1, inout vec4 a2, inout vec4 a3) {
  ivec2 od = dTileOf(t), oh = tileOf(t - 1);
  vec4 s0 = vec4(0.0), s1 = vec4(0.0), s2 = vec4(0.0), s3 = vec4(0.0);
  for (int b = 0; b < uB; b++) {
    vec4 da = texelFetch(dA, od + ivec2(i4, b), 0);
    vec4 h = texelFetch(hPrev, oh + ivec2(rq, b), 0);
    s0 += da * h.x;
    s1 += da * h.y;
    s2 += da * h.z;
    s3 += da * h.w;
  }
  a0 += s0;
  a1 += s1;
  a2 += s2;
  a3 += s3;
}
// The value gradient row r multiplies at step t for sequence b: h_{t-1}[r] (0 at t = 1), x_t[r - N], 1 (bias), 0 past the rows.
float rowValue(sampler2D hPrev, int t, int r, int b) {
  if (r < N) return t >= 2 ? texelFetch(hPrev, tileOf(t - 1) + ivec2(r >> 2, b), 0)[r & 3] : 0.0;
  if (r < N + D) return texelFetch(uX, xTileOf(t) + ivec2(r - N, b), 0).r;
  return r == N + D ? 1.0 : 0.0;
}
// Any other block (input rows, the bias row, or a block across those boundaries).
void blockMixed(sampler2D dA, sampler2D hPrev, int t, int i4, int rq, inout vec4 a0, inout vec4 a1, inout vec4 a2, inout vec4 a3) {
  ivec2 od = dTileOf(t);
  int r = 4 * rq;
  vec4 s0 = vec4(0.0), s1 = vec4(0.0), s2 = vec4(0.0), s3 = vec4(0.0);
  for (int b = 0; b < uB; b++) {
    vec4 da = texelFetch(dA, od + ivec2(i4, b), 0);
    s0 += da * rowValue(hPrev, t, r, b);
    s1 += da * rowValue(hPrev, t, r + 1, b);
    s2 += da * rowValue(hPrev, t, r + 2, b);
    s3 += da * rowValue(hPrev, t, r + 3, b);
  }
  a0 += s0;
  a1 += s1;
  a2 += s2;
  a3 += s3;
}
void main() {
  ivec2 q = ivec2(gl_FragCoord.xy);
  int s = q.x / N4, i4 = q.x % N4, rq = q.y;
  int t0 = s * uTc + 1, t1 = min(t0 + uTc, uT + 1);
  vec4 a0 = vec4(0.0), a1 = vec4(0.0), a2 = vec4(0.0), a3 = vec4(0.0);
  if (4 * rq + 3 < N) {
    for (int t = max(t0, 2); t < t1; t++) {
      if ((t & 1) == 1) blockH(uD1, uH0, t, i4, rq, a0, a1, a2, a3);
      else blockH(uD0, uH1, t, i4, rq, a0, a1, a2, a3);
    }
  } else {
    for (int t = t0; t < t1; t++) {
      if ((t & 1) == 1) blockMixed(uD1, uH0, t, i4, rq, a0, a1, a2, a3);
      else blockMixed(uD0, uH1, t, i4, rq, a0, a1, a2, a3);
    }
  }
  o0 = a0;
  o1 = a1;
  o2 = a2;
  o3 = a3;
}`;
}

/**
 * The gradient block (N4 x R): rows of W_hh^T, W_ih^T and both biases as the sum of the uS partial
 * slices (four partial textures, gradPartialShader); fc.weight rows as sum_b dz[b, c] h_T[b]; fc.bias rows as sum_b dz[b, c] (0 beyond C).
 */
export function gradReduceShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uPG0;
uniform sampler2D uPG1;
uniform sampler2D uPG2;
uniform sampler2D uPG3;
uniform sampler2D uDZ;
uniform sampler2D uHT;
uniform ivec2 uHo;
uniform int uS;
uniform int uB;
out vec4 o;
void main() {
  ivec2 q = ivec2(gl_FragCoord.xy);
  int i4 = q.x, r = q.y;
  vec4 acc = vec4(0.0);
  if (r < ROW_FC) {
    // Partial row pr lives in target pr & 3, row pr >> 2 (gradPartialShader).
    int pr = min(r, N + D);
    ivec2 at = ivec2(i4, pr >> 2);
    int k = pr & 3;
    for (int s = 0; s < uS; s++) {
      ivec2 a = at + ivec2(s * N4, 0);
      acc += k == 0 ? texelFetch(uPG0, a, 0) : k == 1 ? texelFetch(uPG1, a, 0) : k == 2 ? texelFetch(uPG2, a, 0) : texelFetch(uPG3, a, 0);
    }
  } else if (r < ROW_FCB) {
    int c = r - ROW_FC;
    for (int b = 0; b < uB; b++) acc += texelFetch(uDZ, ivec2(c >> 2, b), 0)[c & 3] * texelFetch(uHT, uHo + ivec2(i4, b), 0);
  } else {
    for (int k = 0; k < 4; k++) {
      int c = (r - ROW_FCB) * 4 * N4 + 4 * i4 + k;
      if (c < C) for (int b = 0; b < uB; b++) acc[k] += texelFetch(uDZ, ivec2(c >> 2, b), 0)[c & 3];
    }
  }
  o = acc;
}`;
}

/** Clipping, stage 1: squared norm of each row of the gradient block (bias rows skipped when frozen). */
export function rowSquaresShader(L: BlockLayout, hasBias: boolean): string {
  return `${header(L, `#define HAS_BIAS ${hasBias ? 1 : 0}`)}
uniform sampler2D uG;
out vec4 o;
void main() {
  int r = int(gl_FragCoord.y);
  float s = 0.0;
  if (HAS_BIAS == 1 || (r != ROW_BIH && r != ROW_BHH)) {
    for (int x = 0; x < N4; x++) { vec4 g = texelFetch(uG, ivec2(x, r), 0); s += dot(g, g); }
  }
  o = vec4(s, 0.0, 0.0, 0.0);
}`;
}

/** Clipping, stage 2: the global norm sqrt(sum of the R row sums) into one texel. */
export function normShader(L: BlockLayout): string {
  return `${header(L)}
uniform sampler2D uRS;
out vec4 o;
void main() {
  float s = 0.0;
  for (int r = 0; r < R; r++) s += texelFetch(uRS, ivec2(0, r), 0).x;
  o = vec4(sqrt(s), 0.0, 0.0, 0.0);
}`;
}

export type OptimizerKind = 'sgd' | 'adam' | 'rmsprop';

/**
 * The optimiser update over the whole block (FastRnn's formulas): g = G * scale, where scale =
 * min(1, clip / max(norm, 1e-12)) with clipping, else 1. Writes the new parameters (location 0) and,
 * for adam / rmsprop, the two new state slots (locations 1, 2). Frozen bias rows are copied.
 *   sgd:     p -= lr g
 *   adam:    m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g^2; p -= lr (m / uOma1) / (sqrt(v / uOma2) + eps)
 *   rmsprop: ms = 0.9 ms + 0.1 g^2; mom = 0 * mom + lr g / sqrt(ms + eps); p -= mom
 */
export function optimizerShader(L: BlockLayout, kind: OptimizerKind, hasBias: boolean, clip: boolean): string {
  const outs =
    kind === 'sgd'
      ? 'layout(location = 0) out vec4 oP;'
      : 'layout(location = 0) out vec4 oP;\nlayout(location = 1) out vec4 oS1;\nlayout(location = 2) out vec4 oS2;';
  let body: string;
  if (kind === 'sgd') body = 'oP = frozen ? p : p - uLr * g;';
  else if (kind === 'adam') {
    body = `vec4 s1 = texelFetch(uS1, q, 0), s2 = texelFetch(uS2, q, 0);
  vec4 m = s1 * 0.9 + g * ${glf(1 - 0.9)};
  vec4 v = s2 * 0.999 + g * g * ${glf(1 - 0.999)};
  oP = frozen ? p : p - (uLr * (m / uOma1)) / (sqrt(v / uOma2) + uEps);
  oS1 = frozen ? s1 : m;
  oS2 = frozen ? s2 : v;`;
  } else {
    body = `vec4 s1 = texelFetch(uS1, q, 0), s2 = texelFetch(uS2, q, 0);
  vec4 ms = s1 * 0.9 + g * g * ${glf(1 - 0.9)};
  vec4 mom = s2 * 0.0 + (g * uLr) / sqrt(ms + uEps);
  oP = frozen ? p : p - mom;
  oS1 = frozen ? s1 : ms;
  oS2 = frozen ? s2 : mom;`;
  }
  return `${header(L, `#define HAS_BIAS ${hasBias ? 1 : 0}`)}
uniform sampler2D uP;
uniform sampler2D uG;
${kind === 'sgd' ? '' : 'uniform sampler2D uS1;\nuniform sampler2D uS2;'}
${clip ? 'uniform sampler2D uNorm;' : ''}
uniform float uLr;
uniform float uEps;
uniform float uOma1;
uniform float uOma2;
uniform float uClip;
${outs}
void main() {
  ivec2 q = ivec2(gl_FragCoord.xy);
  bool frozen = HAS_BIAS == 0 && (q.y == ROW_BIH || q.y == ROW_BHH);
  float scale = ${clip ? 'min(1.0, uClip / max(texelFetch(uNorm, ivec2(0, 0), 0).x, 1e-12))' : '1.0'};
  vec4 p = texelFetch(uP, q, 0);
  vec4 g = texelFetch(uG, q, 0) * scale;
  ${body}
}`;
}
