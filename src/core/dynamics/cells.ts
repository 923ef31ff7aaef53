/**
 * Recurrent cells in float64 behind one interface: PyTorch nn.RNN (tanh), nn.GRU (gates r, z, n)
 * and nn.LSTM (gates i, f, g, o; state [h; c]) with one layer, plus the nn.Linear readout `fc`.
 *
 * Conventions: N = hidden units, S = state size (N, or 2N for LSTM with state [h; c]), D = inputs
 * per step, C = classes, G = stacked gates (1, 3, 4). Every vector argument is a Float64Array plus
 * an offset, so callers can keep whole trajectories in one flat buffer and the hot loops allocate
 * nothing. A cell owns small scratch buffers, so it is not re-entrant (one call at a time; fine in
 * a single JS thread).
 */
import type { Arch, ModelWeights } from '../formats/model';
import { GATES } from '../formats/model';
import { getAnalysisKernels, type PreparedMatrix } from '../kernels';
import { matTimesVectors } from '../kernels/js';

/** Accumulators for the recurrent-layer parameter gradients (same shapes as the weights). */
export interface CellGrads {
  /** [G*N][D] */
  weight_ih: Float64Array;
  /** [G*N][N] */
  weight_hh: Float64Array;
  /** [G*N] */
  bias_ih: Float64Array;
  /** [G*N] */
  bias_hh: Float64Array;
}

/** Float64Array, short so that the cells' signatures stay on one line. */
type F64 = Float64Array;

const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));

/** Allocates zeroed gradient accumulators shaped like the cell's recurrent weights. */
export function createCellGrads(cell: Cell): CellGrads {
  const GN = GATES[cell.arch] * cell.hiddenSize;
  return {
    weight_ih: new Float64Array(GN * cell.inputSize),
    weight_hh: new Float64Array(GN * cell.hiddenSize),
    bias_ih: new Float64Array(GN),
    bias_hh: new Float64Array(GN),
  };
}

/**
 * Cross-entropy of logits z (C floats at off) for class y, in nats: logsumexp(z) - z_y, computed
 * stably. When gradOut is given, writes dL/dz = softmax(z) - onehot(y) there (C floats at gOff).
 */
export function crossEntropy(z: Float64Array, off: number, C: number, y: number, gradOut?: Float64Array | null, gOff = 0): number {
  let max = -Infinity;
  for (let c = 0; c < C; c++) if (z[off + c] > max) max = z[off + c];
  let sum = 0;
  for (let c = 0; c < C; c++) sum += Math.exp(z[off + c] - max);
  const lse = max + Math.log(sum);
  if (gradOut) {
    for (let c = 0; c < C; c++) gradOut[gOff + c] = Math.exp(z[off + c] - lse) - (c === y ? 1 : 0);
  }
  return lse - z[off + y];
}

/**
 * The public face of a cell: what CellBase offers to callers (its protected helpers aside), so a
 * test may hand the analysis a cell of its own.
 */
export type Cell = { [K in keyof CellBase]: CellBase[K] };

/** One step's buffers as Cell.backward received them (flat buffers plus offsets; S floats of state, cacheSize of cache). */
interface StepBuffers {
  sIn: Float64Array;
  sInOff: number;
  sOut: Float64Array;
  sOutOff: number;
  cache: Float64Array | null;
  cacheOff: number;
  dOut: Float64Array;
  dOutOff: number;
  dIn: Float64Array | null;
  dInOff: number;
}

/**
 * A recurrent cell (createCell builds one per arch): sizes, weights, the readout and the reverse
 * step shared by all; each arch gives its step, its Jacobian and its gate derivatives.
 */
export abstract class CellBase {
  readonly arch: Arch;
  readonly weights: ModelWeights;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numClasses: number;
  /** N for rnn/gru, 2N for lstm ([h; c]). */
  abstract readonly stateSize: number;
  /** Floats per time step that `step` writes to its optional cache (gate values for backward). */
  abstract readonly cacheSize: number;
  protected readonly Wih: Float64Array;
  protected readonly Whh: Float64Array;
  protected readonly bih: Float64Array;
  protected readonly bhh: Float64Array;
  protected readonly fcW: Float64Array;
  protected readonly fcB: Float64Array;
  /** Scratch for a full Jacobian, [S][S]. */
  protected jac: Float64Array | null = null;

  constructor(weights: ModelWeights) {
    this.arch = weights.arch;
    this.weights = weights;
    this.inputSize = weights.inputSize;
    this.hiddenSize = weights.hiddenSize;
    this.numClasses = weights.numClasses;
    const t = weights.tensors;
    this.Wih = t.weight_ih_l0;
    this.Whh = t.weight_hh_l0;
    this.bih = t.bias_ih_l0;
    this.bhh = t.bias_hh_l0;
    this.fcW = t['fc.weight'];
    this.fcB = t['fc.bias'];
  }

  /**
   * One time step: state_t = F(x_t, state_{t-1}). x: D floats at xOff; sIn/sOut: S floats.
   * With a cache, stores cacheSize floats at cacheOff for `backward`.
   */
  abstract step(x: F64, xOff: number, sIn: F64, sInOff: number, sOut: F64, sOutOff: number, cache?: F64 | null, cacheOff?: number): void;
  /** Jacobian d state_t / d state_{t-1} at (x_t, state_{t-1}), written row-major [S][S] to out. */
  abstract jacobian(x: F64, xOff: number, sIn: F64, sInOff: number, out: F64): void;
  /**
   * Optional fused QR-iteration step: out = Q, R ([k][k]) of the reduced QR of J_t v (applyJacobian
   * then mgsQr, the same numbers in one kernel call). out must not alias v.
   */
  applyJacobianQr?(sOut: F64, sOutOff: number, v: F64, k: number, out: F64, R: F64): void;

  /** Pre-activation gradients of one step, [G*N] each: input side gi and hidden side gh (one array where they are equal). */
  protected abstract readonly gi: Float64Array;
  protected abstract readonly gh: Float64Array;
  /** The step backward hands to gateGradients (reused: no allocation per step). */
  private readonly at: StepBuffers = {
    sIn: new Float64Array(0),
    sInOff: 0,
    sOut: new Float64Array(0),
    sOutOff: 0,
    cache: null,
    cacheOff: 0,
    dOut: new Float64Array(0),
    dOutOff: 0,
    dIn: null,
    dInOff: 0,
  };

  /**
   * The cell's own part of a reverse step: from dOut (and the step's state and cache) writes the
   * pre-activation gradients into gi / gh and, when at.dIn is given, the part of dL/dstate_{t-1}
   * that does not pass through W_hh (backProject adds W_hh^T gh to it).
   */
  protected abstract gateGradients(at: StepBuffers): void;

  /**
   * Reverse step. dOut = dL/dstate_t (S floats, the TOTAL gradient w.r.t. state_t). Writes
   * dIn = dL/dstate_{t-1} through this step (= J_t^T dOut) when dIn is given, accumulates the
   * parameter gradients of this step into grads when given, writes dL/dx_t (D floats) when dx is given.
   * Needs the cache that `step` wrote for this t (rnn: unused). One body for every arch: the cell's
   * gate derivatives (gateGradients), then the shared back-projection through W_ih and W_hh.
   */
  backward(
    x: Float64Array,
    xOff: number,
    sIn: Float64Array,
    sInOff: number,
    sOut: Float64Array,
    sOutOff: number,
    cache: Float64Array | null,
    cacheOff: number,
    dOut: Float64Array,
    dOutOff: number,
    dIn: Float64Array | null,
    dInOff: number,
    grads: CellGrads | null,
    dx: Float64Array | null,
    dxOff: number,
  ): void {
    const at = this.at;
    at.sIn = sIn;
    at.sInOff = sInOff;
    at.sOut = sOut;
    at.sOutOff = sOutOff;
    at.cache = cache;
    at.cacheOff = cacheOff;
    at.dOut = dOut;
    at.dOutOff = dOutOff;
    at.dIn = dIn;
    at.dInOff = dInOff;
    this.gateGradients(at);
    this.backProject(x, xOff, sIn, sInOff, this.gi, this.gh, grads, dx, dxOff, dIn, dInOff);
  }

  /**
   * out_a = J_t v_a for k vectors stored contiguously ([k][S], vector a at a*S), where state_t =
   * sOut (already computed by `step`). The rnn uses J = diag(1 - h_t^2) W_hh without forming J.
   */
  applyJacobian(x: F64, xOff: number, sIn: F64, sInOff: number, _sOut: F64, _sOutOff: number, v: F64, k: number, out: F64): void {
    const S = this.stateSize;
    this.jac ??= new Float64Array(S * S);
    const J = this.jac;
    this.jacobian(x, xOff, sIn, sInOff, J);
    matTimesVectors(J, S, S, v, k, out, null);
  }

  /** logits = fc.weight h + fc.bias, h = the first N floats of the state at sOff; C floats to out. */
  readout(s: Float64Array, sOff: number, out: Float64Array, outOff: number): void {
    affineRows(this.fcW, this.fcB, this.numClasses, this.hiddenSize, s, sOff, out, outOff, false);
  }

  /** pre[r] = b_ih[r] + W_ih[r] x (r < G*N). */
  protected inputPart(x: Float64Array, xOff: number, pre: Float64Array): void {
    affineRows(this.Wih, this.bih, pre.length, this.inputSize, x, xOff, pre, 0, false);
  }

  /** pre[r] = b_hh[r] + W_hh[r] h (+= when accumulate), h = N floats at hOff. */
  protected hiddenPart(h: Float64Array, hOff: number, pre: Float64Array, accumulate: boolean): void {
    affineRows(this.Whh, this.bhh, pre.length, this.hiddenSize, h, hOff, pre, 0, accumulate);
  }

  /**
   * Local parameter gradients and input/hidden back-projection for pre-activation gradients
   * gi (input side) and gh (hidden side), each G*N: dW_ih += gi x^T, db_ih += gi, dW_hh += gh h^T,
   * db_hh += gh, dx = W_ih^T gi, dh (N floats at dhOff) += W_hh^T gh.
   */
  protected backProject(
    x: Float64Array,
    xOff: number,
    h: Float64Array,
    hOff: number,
    gi: Float64Array,
    gh: Float64Array,
    grads: CellGrads | null,
    dx: Float64Array | null,
    dxOff: number,
    dh: Float64Array | null,
    dhOff: number,
  ): void {
    const D = this.inputSize;
    const N = this.hiddenSize;
    const GN = gi.length;
    if (grads) {
      const gWih = grads.weight_ih;
      const gWhh = grads.weight_hh;
      for (let r = 0; r < GN; r++) {
        const a = gi[r];
        const b = gh[r];
        grads.bias_ih[r] += a;
        grads.bias_hh[r] += b;
        const ri = r * D;
        for (let d = 0; d < D; d++) gWih[ri + d] += a * x[xOff + d];
        const rh = r * N;
        for (let j = 0; j < N; j++) gWhh[rh + j] += b * h[hOff + j];
      }
    }
    if (dx) {
      for (let d = 0; d < D; d++) dx[dxOff + d] = 0;
      for (let r = 0; r < GN; r++) {
        const a = gi[r];
        const ri = r * D;
        for (let d = 0; d < D; d++) dx[dxOff + d] += this.Wih[ri + d] * a;
      }
    }
    if (dh) {
      const W = this.Whh;
      for (let r = 0; r < GN; r++) {
        const b = gh[r];
        if (b === 0) continue;
        const rh = r * N;
        for (let j = 0; j < N; j++) dh[dhOff + j] += W[rh + j] * b;
      }
    }
  }
}

/**
 * out[outOff + r] = b[r] + sum_c W[r * cols + c] v[vOff + c] for r < rows (W row-major [rows][cols]),
 * or that added onto out[outOff + r] when accumulate: one sequential sum per row, bias first.
 */
function affineRows(W: F64, b: F64, rows: number, cols: number, v: F64, vOff: number, out: F64, outOff: number, accumulate: boolean): void {
  for (let r = 0; r < rows; r++) {
    let acc = b[r];
    const row = r * cols;
    for (let c = 0; c < cols; c++) acc += W[row + c] * v[vOff + c];
    out[outOff + r] = accumulate ? out[outOff + r] + acc : acc;
  }
}

/**
 * acc[r] += sum_l M[(row + r) * len + l] v[vOff + l] for r = 0..3 (M row-major with rows of len):
 * each of the four sums is one sequential chain (the rounding of a row-by-row loop), and the four
 * independent chains overlap instead of waiting on one add latency per multiply.
 */
function addRowDots4(M: F64, row: number, len: number, v: F64, vOff: number, acc: F64): void {
  let a0 = acc[0];
  let a1 = acc[1];
  let a2 = acc[2];
  let a3 = acc[3];
  const r0 = row * len;
  for (let l = 0; l < len; l++) {
    const vl = v[vOff + l];
    a0 += M[r0 + l] * vl;
    a1 += M[r0 + len + l] * vl;
    a2 += M[r0 + 2 * len + l] * vl;
    a3 += M[r0 + 3 * len + l] * vl;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/** Vanilla tanh RNN: a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, h_t = tanh(a_t). */
class RnnCell extends CellBase {
  readonly stateSize: number;
  readonly cacheSize = 0;
  private readonly pre: Float64Array;
  /** The four accumulators of step's row blocks. */
  private readonly acc4 = new Float64Array(4);
  protected readonly gi: Float64Array;
  protected readonly gh: Float64Array;
  private whh: PreparedMatrix | null = null;
  private whhKernels: unknown = null;

  constructor(weights: ModelWeights) {
    super(weights);
    this.stateSize = weights.hiddenSize;
    this.pre = new Float64Array(weights.hiddenSize);
    this.gi = this.pre;
    this.gh = this.pre;
  }

  /**
   * h_t = tanh(b_ih + b_hh + W_ih x + W_hh h): four rows at a time, each row still one sequential
   * sum (same rounding as a row-by-row loop), so the four independent chains overlap instead of
   * waiting on one add latency per multiply (~3x faster in V8).
   */
  step(x: Float64Array, xOff: number, sIn: Float64Array, sInOff: number, sOut: Float64Array, sOutOff: number): void {
    const N = this.hiddenSize;
    const D = this.inputSize;
    const Wih = this.Wih;
    const Whh = this.Whh;
    const bih = this.bih;
    const bhh = this.bhh;
    const acc = this.acc4;
    let i = 0;
    for (; i + 4 <= N; i += 4) {
      for (let r = 0; r < 4; r++) acc[r] = bih[i + r] + bhh[i + r];
      addRowDots4(Wih, i, D, x, xOff, acc);
      addRowDots4(Whh, i, N, sIn, sInOff, acc);
      for (let r = 0; r < 4; r++) sOut[sOutOff + i + r] = Math.tanh(acc[r]);
    }
    for (; i < N; i++) {
      let sum = this.bih[i] + this.bhh[i];
      const ri = i * D;
      for (let d = 0; d < D; d++) sum += Wih[ri + d] * x[xOff + d];
      const rh = i * N;
      for (let j = 0; j < N; j++) sum += Whh[rh + j] * sIn[sInOff + j];
      sOut[sOutOff + i] = Math.tanh(sum);
    }
  }

  jacobian(x: Float64Array, xOff: number, sIn: Float64Array, sInOff: number, out: Float64Array): void {
    const N = this.hiddenSize;
    const h = this.pre;
    this.step(x, xOff, sIn, sInOff, h, 0);
    for (let i = 0; i < N; i++) {
      const d = 1 - h[i] * h[i];
      const r = i * N;
      for (let j = 0; j < N; j++) out[r + j] = d * this.Whh[r + j];
    }
  }

  /** J v_a = diag(1 - h_t^2) (W_hh v_a) on the current AnalysisKernels. */
  applyJacobian(_x: F64, _xOff: number, _sIn: F64, _sInOff: number, sOut: F64, sOutOff: number, v: F64, k: number, out: F64): void {
    const N = this.hiddenSize;
    const d = this.pre;
    for (let i = 0; i < N; i++) {
      const h = sOut[sOutOff + i];
      d[i] = 1 - h * h;
    }
    this.preparedWhh().timesVectors(v, k, out, d);
  }

  /** Fused J_t v and Gram-Schmidt (see Cell.applyJacobianQr). */
  applyJacobianQr(sOut: Float64Array, sOutOff: number, v: Float64Array, k: number, out: Float64Array, R: Float64Array): void {
    const N = this.hiddenSize;
    const d = this.pre;
    for (let i = 0; i < N; i++) {
      const h = sOut[sOutOff + i];
      d[i] = 1 - h * h;
    }
    this.preparedWhh().timesVectorsQr(v, k, out, d, R);
  }

  /** W_hh prepared once per cell and kernel set (the WASM kernels keep it resident, transposed). */
  private preparedWhh(): PreparedMatrix {
    const kernels = getAnalysisKernels();
    if (!this.whh || this.whhKernels !== kernels) {
      this.whh = kernels.matrix(this.Whh, this.hiddenSize, this.hiddenSize);
      this.whhKernels = kernels;
    }
    return this.whh;
  }

  /** da = dOut (1 - h_t^2) on both sides; dL/dh_{t-1} is W_hh^T da alone (backProject adds it to zeros). */
  protected gateGradients({ sOut, sOutOff, dOut, dOutOff, dIn, dInOff }: StepBuffers): void {
    const N = this.hiddenSize;
    const da = this.gi;
    for (let i = 0; i < N; i++) {
      const h = sOut[sOutOff + i];
      da[i] = dOut[dOutOff + i] * (1 - h * h);
    }
    if (dIn) for (let j = 0; j < N; j++) dIn[dInOff + j] = 0;
  }
}

/**
 * The gated cells' shared step and Jacobian: pre-activations from W_ih x + b_ih into gi and
 * W_hh h + b_hh into gh (added onto gi where the cell keeps one array, as the LSTM does), then the
 * cell's gates on them (gates), which also fill the step cache; the Jacobian runs a step into
 * scratch and reads it off the cache (jacobianFromCache).
 */
abstract class GatedCell extends CellBase {
  readonly stateSize: number;
  readonly cacheSize: number;
  protected readonly gi: Float64Array;
  protected readonly gh: Float64Array;
  /** Scratch cache and state for jacobian (a step that nobody keeps). */
  private readonly local: Float64Array;
  private readonly tmpState: Float64Array;

  /**
   * stateSize S and cacheSize floats per step; G stacked gates; sharedSides: one pre-activation
   * array for both sides (W_hh h + b_hh added onto W_ih x + b_ih), else separate gi and gh.
   */
  constructor(weights: ModelWeights, stateSize: number, cacheSize: number, G: number, sharedSides: boolean) {
    super(weights);
    this.stateSize = stateSize;
    this.cacheSize = cacheSize;
    this.gi = new Float64Array(G * weights.hiddenSize);
    this.gh = sharedSides ? this.gi : new Float64Array(G * weights.hiddenSize);
    this.local = new Float64Array(cacheSize);
    this.tmpState = new Float64Array(stateSize);
  }

  /** The gates on gi / gh: writes state_t (S floats at sOutOff) and the step cache (cacheSize floats at co). */
  protected abstract gates(sIn: Float64Array, sInOff: number, sOut: Float64Array, sOutOff: number, c: Float64Array, co: number): void;
  /** d state_t / d state_{t-1} ([S][S] row-major into out) from a step's cache c and its input state. */
  protected abstract jacobianFromCache(sIn: Float64Array, sInOff: number, c: Float64Array, out: Float64Array): void;

  step(x: F64, xOff: number, sIn: F64, sInOff: number, sOut: F64, sOutOff: number, cache?: F64 | null, cacheOff = 0): void {
    this.inputPart(x, xOff, this.gi);
    this.hiddenPart(sIn, sInOff, this.gh, this.gh === this.gi);
    this.gates(sIn, sInOff, sOut, sOutOff, cache ?? this.local, cache ? cacheOff : 0);
  }

  jacobian(x: Float64Array, xOff: number, sIn: Float64Array, sInOff: number, out: Float64Array): void {
    this.step(x, xOff, sIn, sInOff, this.tmpState, 0, this.local, 0);
    this.jacobianFromCache(sIn, sInOff, this.local, out);
  }
}

/**
 * PyTorch GRU: r = s(W_ir x + b_ir + W_hr h + b_hr), z = s(... z ...),
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h. Cache per step: r, z, n, W_hn h + b_hn.
 */
class GruCell extends GatedCell {
  constructor(weights: ModelWeights) {
    const N = weights.hiddenSize;
    super(weights, N, 4 * N, 3, false);
  }

  protected gates(sIn: Float64Array, sInOff: number, sOut: Float64Array, sOutOff: number, c: Float64Array, co: number): void {
    const N = this.hiddenSize;
    const gi = this.gi;
    const gh = this.gh;
    for (let i = 0; i < N; i++) {
      const r = sigmoid(gi[i] + gh[i]);
      const z = sigmoid(gi[N + i] + gh[N + i]);
      const hn = gh[2 * N + i];
      const n = Math.tanh(gi[2 * N + i] + r * hn);
      sOut[sOutOff + i] = (1 - z) * n + z * sIn[sInOff + i];
      c[co + i] = r;
      c[co + N + i] = z;
      c[co + 2 * N + i] = n;
      c[co + 3 * N + i] = hn;
    }
  }

  protected jacobianFromCache(sIn: Float64Array, sInOff: number, c: Float64Array, out: Float64Array): void {
    const N = this.hiddenSize;
    const W = this.Whh;
    for (let i = 0; i < N; i++) {
      const r = c[i];
      const z = c[N + i];
      const n = c[2 * N + i];
      const hn = c[3 * N + i];
      const h = sIn[sInOff + i];
      const dn = 1 - n * n;
      const dr = r * (1 - r);
      const dz = z * (1 - z);
      const rowR = i * N;
      const rowZ = (N + i) * N;
      const rowN = (2 * N + i) * N;
      for (let j = 0; j < N; j++) {
        // dn/dh_j = (1 - n^2) (r W_hn[i,j] + hn r(1-r) W_hr[i,j]); dz/dh_j = z(1-z) W_hz[i,j]
        const dnj = dn * (r * W[rowN + j] + hn * dr * W[rowR + j]);
        const dzj = dz * W[rowZ + j];
        out[i * N + j] = (1 - z) * dnj + (h - n) * dzj + (i === j ? z : 0);
      }
    }
  }

  /** Gates r, z, n: the hidden side of n is scaled by r; dL/dh_{t-1} starts at dOut z (the h' = ... + z h path). */
  protected gateGradients({ sIn, sInOff, cache, cacheOff, dOut, dOutOff, dIn, dInOff }: StepBuffers): void {
    const N = this.hiddenSize;
    if (!cache) throw new Error('GRU backward needs the step cache');
    const gi = this.gi;
    const gh = this.gh;
    for (let i = 0; i < N; i++) {
      const r = cache[cacheOff + i];
      const z = cache[cacheOff + N + i];
      const n = cache[cacheOff + 2 * N + i];
      const hn = cache[cacheOff + 3 * N + i];
      const g = dOut[dOutOff + i];
      const dan = g * (1 - z) * (1 - n * n);
      const daz = g * (sIn[sInOff + i] - n) * z * (1 - z);
      const dar = dan * hn * r * (1 - r);
      gi[i] = dar;
      gi[N + i] = daz;
      gi[2 * N + i] = dan;
      gh[i] = dar;
      gh[N + i] = daz;
      gh[2 * N + i] = dan * r;
      if (dIn) dIn[dInOff + i] = g * z;
    }
  }
}

/**
 * PyTorch LSTM: gates = W_ih x + b_ih + W_hh h + b_hh stacked (i, f, g, o); c' = f c + i g,
 * h' = o tanh(c'). State [h; c] (2N). Cache per step: i, f, g, o, tanh(c').
 */
class LstmCell extends GatedCell {
  /** One pre-activation array for both sides: the LSTM adds W_hh h + b_hh onto W_ih x + b_ih. */
  constructor(weights: ModelWeights) {
    const N = weights.hiddenSize;
    super(weights, 2 * N, 5 * N, 4, true);
  }

  protected gates(sIn: Float64Array, sInOff: number, sOut: Float64Array, sOutOff: number, c: Float64Array, co: number): void {
    const N = this.hiddenSize;
    const pre = this.gi;
    for (let u = 0; u < N; u++) {
      const i = sigmoid(pre[u]);
      const f = sigmoid(pre[N + u]);
      const g = Math.tanh(pre[2 * N + u]);
      const o = sigmoid(pre[3 * N + u]);
      const cNew = f * sIn[sInOff + N + u] + i * g;
      const tc = Math.tanh(cNew);
      sOut[sOutOff + u] = o * tc;
      sOut[sOutOff + N + u] = cNew;
      c[co + u] = i;
      c[co + N + u] = f;
      c[co + 2 * N + u] = g;
      c[co + 3 * N + u] = o;
      c[co + 4 * N + u] = tc;
    }
  }

  protected jacobianFromCache(sIn: Float64Array, sInOff: number, c: Float64Array, out: Float64Array): void {
    const N = this.hiddenSize;
    const S = 2 * N;
    const W = this.Whh;
    for (let u = 0; u < N; u++) {
      const i = c[u];
      const f = c[N + u];
      const g = c[2 * N + u];
      const o = c[3 * N + u];
      const tc = c[4 * N + u];
      const cPrev = sIn[sInOff + N + u];
      const di = i * (1 - i);
      const df = f * (1 - f);
      const dg = 1 - g * g;
      const dO = o * (1 - o);
      const dhdc = o * (1 - tc * tc);
      const rowI = u * N;
      const rowF = (N + u) * N;
      const rowG = (2 * N + u) * N;
      const rowO = (3 * N + u) * N;
      for (let j = 0; j < N; j++) {
        const dcdh = cPrev * df * W[rowF + j] + g * di * W[rowI + j] + i * dg * W[rowG + j];
        out[(N + u) * S + j] = dcdh;
        out[u * S + j] = tc * dO * W[rowO + j] + dhdc * dcdh;
      }
      for (let j = 0; j < N; j++) {
        out[(N + u) * S + N + j] = u === j ? f : 0;
        out[u * S + N + j] = u === j ? dhdc * f : 0;
      }
    }
  }

  /** Gates i, f, g, o through c' = f c + i g and h' = o tanh(c'); dL/dstate_{t-1} starts at [0; dc f]. */
  protected gateGradients({ sIn, sInOff, cache, cacheOff, dOut, dOutOff, dIn, dInOff }: StepBuffers): void {
    const N = this.hiddenSize;
    if (!cache) throw new Error('LSTM backward needs the step cache');
    const ga = this.gi;
    for (let u = 0; u < N; u++) {
      const i = cache[cacheOff + u];
      const f = cache[cacheOff + N + u];
      const g = cache[cacheOff + 2 * N + u];
      const o = cache[cacheOff + 3 * N + u];
      const tc = cache[cacheOff + 4 * N + u];
      const dh = dOut[dOutOff + u];
      const dc = dOut[dOutOff + N + u] + dh * o * (1 - tc * tc);
      ga[u] = dc * g * i * (1 - i);
      ga[N + u] = dc * sIn[sInOff + N + u] * f * (1 - f);
      ga[2 * N + u] = dc * i * (1 - g * g);
      ga[3 * N + u] = dh * tc * o * (1 - o);
      if (dIn) {
        dIn[dInOff + u] = 0;
        dIn[dInOff + N + u] = dc * f;
      }
    }
  }
}

/** Builds the float64 cell for a model (rnn, gru or lstm). The cell reads the weights in place. */
export function createCell(weights: ModelWeights): Cell {
  switch (weights.arch) {
    case 'rnn':
      return new RnnCell(weights);
    case 'gru':
      return new GruCell(weights);
    case 'lstm':
      return new LstmCell(weights);
  }
}

/**
 * Writes the initial state of sample m (S floats at out[outOff]): h0 / c0 rows when given (length
 * M*N: one row per sample; length N: shared by all samples), zeros otherwise.
 */
export function initialState(
  cell: Cell,
  m: number,
  h0: Float64Array | null | undefined,
  c0: Float64Array | null | undefined,
  out: Float64Array,
  outOff: number,
): void {
  const N = cell.hiddenSize;
  const S = cell.stateSize;
  for (let i = 0; i < S; i++) out[outOff + i] = 0;
  if (h0) {
    const o = h0.length === N ? 0 : m * N;
    for (let i = 0; i < N; i++) out[outOff + i] = h0[o + i];
  }
  if (c0 && S === 2 * N) {
    const o = c0.length === N ? 0 : m * N;
    for (let i = 0; i < N; i++) out[outOff + N + i] = c0[o + i];
  }
}

/** Result of forwardLosses: logits [M*C] at the last step and per-sample CE loss [M] in nats. */
export interface ForwardLosses {
  logits: Float64Array;
  loss: Float64Array;
}

const forwardScratch = new WeakMap<Cell, { a: Float64Array; b: Float64Array }>();

/**
 * Runs M sequences (inputs flat [M*T*D]) through the cell and returns the last-step logits [M*C]
 * and cross-entropy losses [M] (nats). h0 / c0: [M*N] per sample or [N] shared (zeros when absent).
 * Allocation-free apart from `out` (pass it to reuse); the state buffers are cached per cell.
 */
export function forwardLosses(
  cell: Cell,
  inputs: Float64Array,
  labels: ArrayLike<number>,
  T: number,
  D: number,
  h0?: Float64Array | null,
  c0?: Float64Array | null,
  out?: ForwardLosses,
): ForwardLosses {
  const S = cell.stateSize;
  const C = cell.numClasses;
  if (D !== cell.inputSize) throw new Error(`forwardLosses: D = ${D} but the model takes ${cell.inputSize} inputs per step`);
  const M = Math.floor(inputs.length / (T * D));
  if (M * T * D !== inputs.length) throw new Error(`forwardLosses: inputs length ${inputs.length} is not a multiple of T*D = ${T * D}`);
  const res = out ?? { logits: new Float64Array(M * C), loss: new Float64Array(M) };
  let buf = forwardScratch.get(cell);
  if (!buf) {
    buf = { a: new Float64Array(S), b: new Float64Array(S) };
    forwardScratch.set(cell, buf);
  }
  for (let m = 0; m < M; m++) {
    let sIn = buf.a;
    let sOut = buf.b;
    initialState(cell, m, h0, c0, sIn, 0);
    const base = m * T * D;
    for (let t = 0; t < T; t++) {
      cell.step(inputs, base + t * D, sIn, 0, sOut, 0);
      const tmp = sIn;
      sIn = sOut;
      sOut = tmp;
    }
    cell.readout(sIn, 0, res.logits, m * C);
    res.loss[m] = crossEntropy(res.logits, m * C, C, labels[m]);
  }
  return res;
}
