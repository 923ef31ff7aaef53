/**
 * The interface of the float64 analysis kernels (see index.ts): what the pure-JS (js.ts) and the
 * WASM SIMD (wasm.ts) implementations both provide. Apart from index.ts so the implementations
 * import it without importing the registry that holds them (no import cycle).
 */
/** A matrix M ([rows][cols] row-major) made ready for repeated products; M must not change while in use. */
export interface PreparedMatrix {
  readonly rows: number;
  readonly cols: number;
  /**
   * out_a = diag(rowScale) M v_a for k vectors: v [k][cols] (vector a contiguous at a*cols), out
   * [k][rows]; rowScale: rows floats, or null for none.
   */
  timesVectors(v: Float64Array, k: number, out: Float64Array, rowScale: Float64Array | null): void;
  /**
   * One QR-iteration step: timesVectors into out, then mgsQr(out, rows, k, R) (Q in out, R [k][k]);
   * same numbers as the two calls, one round trip for the WASM kernels. out must not alias v.
   */
  timesVectorsQr(v: Float64Array, k: number, out: Float64Array, rowScale: Float64Array | null, R: Float64Array): void;
}

/** Lanes advanced together by RnnLaneRunner.run. */
export const RNN_LANES = 8;

/**
 * Eight tanh-RNN trajectories of one probe at a time with per-lane, per-step choice of input drive
 * (the flip evaluator's inner loop). Holds W_hh and both drives; they must not change while in use.
 */
export interface RnnLaneRunner {
  /**
   * Advances 8 lanes of probe b from 0-based step tStart to T: h_l <- tanh(u_l(t) + W_hh h_l), u_l(t)
   * = flipped drive row (b*T + t) when mask[l*T + t] != 0, else the plain drive row. H: unit-major
   * states [N][8] (lane l of unit j at j*8 + l) at tStart, overwritten with the states after step T.
   * mask: [8][T] bytes.
   */
  run(b: number, tStart: number, mask: Uint8Array, H: Float64Array): void;
}

export interface AnalysisKernels {
  readonly kind: 'js' | 'wasm-simd';
  /** Prepares M ([rows][cols] row-major) for PreparedMatrix.timesVectors. */
  matrix(M: Float64Array, rows: number, cols: number): PreparedMatrix;
  /**
   * Reduced QR of k vectors by modified Gram-Schmidt with one reorthogonalisation pass, in place:
   * V [k][S] vector-major -> Q; R [k][k] row-major upper triangular with diag >= 0 (a dependent
   * vector gets R_aa = 0 and is replaced by a unit vector orthogonal to the previous ones).
   */
  mgsQr(V: Float64Array, S: number, k: number, R: Float64Array): void;
  /**
   * Lane runner for a tanh RNN: W_hh [N][N], drives [B*T][N] (W_ih x_t + b_ih + b_hh of the plain
   * and of the flipped inputs).
   */
  rnnLanes(Whh: Float64Array, N: number, drive: Float64Array, flipped: Float64Array, B: number, T: number): RnnLaneRunner;
}
