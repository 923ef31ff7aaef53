/**
 * The edge of chaos of an untrained vanilla RNN (method.md §8): h_t = tanh(g W h_{t-1} + U x_t)
 * with W_ij ~ N(0, 1/N), autonomous (x = 0) or driven by a probe's digit rows (U_ij ~ N(0, 1/D)),
 * its Lyapunov spectrum by the QR iteration (lyapunov.ts, the app's cell), the spread over
 * network draws (seeds), the Kaplan-Yorke dimension and the mean-field lambda_1(g) (meanField.ts).
 * One function serves the app's chaos view and `ftle-lab chaos`, so both give the same numbers.
 *
 * Every seed draws W, U and h_0 ~ N(0, 1) (autonomous nets must start off the fixed point h = 0)
 * from mulberry32 streams derived from (seed, "chaos-W" | "chaos-U" | "chaos-h0"); W is drawn once
 * with unit gain and scaled by g, so one seed is the same network at every g (the sweep's curves
 * are smooth in g, as in Engelken et al.'s figures).
 */
import { kaplanYorkeDimension } from './clv';
import { createCell } from './cells';
import { finiteSizeBand } from './finiteSize';
import { qrIteration } from './lyapunov';
import { meanFieldLambda1 } from './meanField';
import { runTrajectory } from './trajectory';
import type { ModelWeights } from '../formats/model';
import { createRng, deriveSeed } from '../rng';
import { std } from '../stats/descriptive';

/** Settings of one edge-of-chaos computation. */
export interface ChaosSettings {
  /** Hidden units N (1..4096). */
  hidden: number;
  /** Exponents tracked, 1 <= k <= N. */
  k: number;
  /** Steps averaged (after the transient). */
  steps: number;
  /** Steps discarded first (trajectory and Q settle). */
  transient: number;
  /** Driving input [steps + transient][D] row-major (cycled when shorter), or null: autonomous. */
  drive: { D: number; inputs: Float64Array } | null;
}

/** Defaults: the app's view and the CLI's sweep. */
export const CHAOS_DEFAULTS = { k: 16, steps: 500, transient: 200, seeds: 5 } as const;

/** One network's spectrum. */
export interface ChaosSpectrum {
  g: number;
  seed: number;
  /** Lyapunov exponents [k], ln per step, time-averaged over `steps` after the transient. */
  spectrum: Float64Array;
  /**
   * Standard error of each exponent's time average [k] (ln per step): the sample std of 10 block
   * means of ln r_i(t), over sqrt(10). The time-averaging part of the finite-size error.
   */
  timeSe: Float64Array;
  /** Kaplan-Yorke dimension of the k exponents (k is a lower bound when all partial sums >= 0). */
  kaplanYorke: number;
}

const TIME_BLOCKS = 10;

/** Random vanilla-RNN weights at gain g for a seed (one readout class, zero biases). */
export function randomNetworkWeights(N: number, g: number, seed: number, D = 1): ModelWeights {
  if (!(Number.isInteger(N) && N >= 1 && N <= 4096)) throw new Error(`random network: hidden = ${N} must be an integer in 1..4096`);
  if (!(Number.isFinite(g) && g >= 0)) throw new Error(`random network: gain g = ${g} must be finite and >= 0`);
  const rw = createRng(deriveSeed(seed, 'chaos-W'));
  const ru = createRng(deriveSeed(seed, 'chaos-U'));
  const W = new Float64Array(N * N);
  const sW = g / Math.sqrt(N);
  for (let i = 0; i < N * N; i++) W[i] = sW * rw.normal();
  const U = new Float64Array(N * D);
  const sU = 1 / Math.sqrt(D);
  for (let i = 0; i < N * D; i++) U[i] = sU * ru.normal();
  return {
    arch: 'rnn',
    inputSize: D,
    hiddenSize: N,
    numClasses: 1,
    tensors: {
      weight_ih_l0: U,
      weight_hh_l0: W,
      bias_ih_l0: new Float64Array(N),
      bias_hh_l0: new Float64Array(N),
      'fc.weight': new Float64Array(N),
      'fc.bias': new Float64Array(1),
    },
  };
}

/** The initial state h_0 ~ N(0, 1) of a seed ([N]). */
export function randomInitialState(N: number, seed: number): Float64Array {
  const r = createRng(deriveSeed(seed, 'chaos-h0'));
  const h = new Float64Array(N);
  for (let i = 0; i < N; i++) h[i] = r.normal();
  return h;
}

/**
 * Checks the settings and returns the network's inputs [T][D] row-major (T = transient + steps;
 * the drive cycled, or one zero input per step when autonomous). Shared by the CPU and GPU paths.
 */
export function chaosInputs(s: ChaosSettings): { T: number; D: number; inputs: Float64Array } {
  const N = s.hidden;
  const k = s.k;
  if (!(Number.isInteger(k) && k >= 1 && k <= N)) throw new Error(`chaos: k = ${k} must be an integer in 1..${N}`);
  if (!(Number.isInteger(s.steps) && s.steps >= TIME_BLOCKS))
    throw new Error(`chaos: steps = ${s.steps} must be an integer >= ${TIME_BLOCKS}`);
  if (!(Number.isInteger(s.transient) && s.transient >= 0))
    throw new Error(`chaos: transient = ${s.transient} must be a non-negative integer`);
  const T = s.transient + s.steps;
  const D = s.drive ? s.drive.D : 1;
  const inputs = new Float64Array(T * D);
  if (s.drive) {
    const src = s.drive.inputs;
    if (src.length < D || src.length % D !== 0)
      throw new Error(`chaos: the drive holds ${src.length} floats, not a whole number of ${D}-input rows`);
    for (let i = 0; i < T * D; i++) inputs[i] = src[i % src.length];
  }
  return { T, D, inputs };
}

/**
 * Lyapunov spectrum of the random network (g, seed): QR iteration with k vectors over transient +
 * steps steps, the first `transient` discarded. Cost ~ (transient + steps) (k N^2 + 2 k^2 N).
 */
export function randomNetworkSpectrum(g: number, seed: number, s: ChaosSettings): ChaosSpectrum {
  const { T, D, inputs } = chaosInputs(s);
  const weights = randomNetworkWeights(s.hidden, g, seed, D);
  const cell = createCell(weights);
  const k = s.k;
  const traj = runTrajectory(cell, inputs, 0, T, randomInitialState(s.hidden, seed));
  const run = qrIteration(cell, inputs, 0, traj, { k });
  return { g, seed, ...spectrumFromLnR(run.lnR, k, s.steps, s.transient) };
}

/**
 * Time averages of ln r [transient + steps][k] (ln per step) after the transient: the spectrum [k],
 * each exponent's time SE [k] (TIME_BLOCKS block means) and the Kaplan-Yorke dimension. Shared by
 * the CPU path above and the GPU one (src/model/gpuAnalysis/chaos.ts), so both summarise alike.
 */
export function spectrumFromLnR(
  lnR: ArrayLike<number>,
  k: number,
  steps: number,
  transient: number,
): { spectrum: Float64Array; timeSe: Float64Array; kaplanYorke: number } {
  const T = transient + steps;
  if (lnR.length !== T * k) throw new Error(`chaos: ln r holds ${lnR.length} values, expected ${T} steps x ${k}`);
  const spectrum = new Float64Array(k);
  const timeSe = new Float64Array(k);
  const blockLen = Math.floor(steps / TIME_BLOCKS);
  const blocks = new Float64Array(TIME_BLOCKS);
  for (let a = 0; a < k; a++) {
    let sum = 0;
    for (let t = transient; t < T; t++) sum += lnR[t * k + a];
    spectrum[a] = sum / steps;
    blocks.fill(0);
    for (let b = 0; b < TIME_BLOCKS; b++) {
      for (let t = 0; t < blockLen; t++) blocks[b] += lnR[(transient + b * blockLen + t) * k + a];
      blocks[b] /= blockLen;
    }
    timeSe[a] = std(blocks) / Math.sqrt(TIME_BLOCKS);
  }
  return { spectrum, timeSe, kaplanYorke: kaplanYorkeDimension(spectrum) };
}

/** A sweep over gains and seeds (the CLI's chaos.json, formats.md; the app's lambda_1-vs-g chart). */
export interface ChaosSweep {
  hidden: number;
  k: number;
  steps: number;
  transient: number;
  driven: boolean;
  /** Gains [G]. */
  gains: number[];
  /** Seeds [seeds]. */
  seeds: number[];
  /** lambda_1 [G][seeds], ln per step. */
  lambda1: number[][];
  /** Spectra [G][seeds][k], ln per step. */
  spectrum: number[][][];
  /** Kaplan-Yorke dimensions [G][seeds]. */
  kaplanYorke: number[][];
  /** Mean over seeds of lambda_1 [G]. */
  lambda1Mean: number[];
  /** Std of lambda_1 over seeds [G] (network-to-network spread, ln per step; one seed: its time SE). */
  lambda1Spread: number[];
  /**
   * Finite-size error of lambda_1 [G] (ln per step): sqrt(spread^2 + sd of the known correction^2),
   * spread at least the measured one in the transition window (finiteSize.ts; for driven nets,
   * which mean-field theory here does not cover, the spread alone).
   */
  lambda1Err: number[];
  /** Mean-field lambda_1 [G] (N -> infinity, ln per step). */
  meanfield: number[];
  /**
   * Known finite-N correction of lambda_1 [G] (ln per step, finiteSize.ts): E[ln rho(W)] below the
   * transition (capped at lambda_1 = 0), the measured table in the window g = 0.85..1.9, -c/N above;
   * 0 for driven nets.
   */
  finiteSizeBias: number[];
  /**
   * The finite-size band [G][2] (ln per step): meanfield + finiteSizeBias -+ 2 lambda1Err, where a
   * network of this N should fall if mean-field theory and the known corrections hold.
   */
  meanfieldBand: [number, number][];
  /** Whether lambda1Mean lies inside meanfieldBand [G]: mean-field matched within the band. */
  insideBand: boolean[];
}

/**
 * Spectra for every gain and seed, the seed statistics and the mean-field curve. `onProgress(done,
 * total)` after each network. Shapes: see ChaosSweep.
 */
export function chaosSweep(
  gains: number[],
  seeds: number[],
  s: ChaosSettings,
  onProgress?: (done: number, total: number) => void,
): ChaosSweep {
  if (gains.length === 0 || seeds.length === 0) throw new Error('chaos: give at least one gain and one seed');
  const lambda1: number[][] = [];
  const spectrum: number[][][] = [];
  const kaplanYorke: number[][] = [];
  const lambda1Mean: number[] = [];
  const lambda1Spread: number[] = [];
  const lambda1Err: number[] = [];
  const meanfield: number[] = [];
  const finiteSizeBias: number[] = [];
  const meanfieldBand: [number, number][] = [];
  const insideBand: boolean[] = [];
  let done = 0;
  for (const g of gains) {
    const runs = seeds.map((seed) => {
      const r = randomNetworkSpectrum(g, seed, s);
      onProgress?.(++done, gains.length * seeds.length);
      return r;
    });
    const l1 = runs.map((r) => r.spectrum[0]);
    lambda1.push(l1);
    spectrum.push(runs.map((r) => Array.from(r.spectrum)));
    kaplanYorke.push(runs.map((r) => r.kaplanYorke));
    const mean = l1.reduce((a, b) => a + b, 0) / l1.length;
    lambda1Mean.push(mean);
    const spread = l1.length > 1 ? std(l1) : runs[0].timeSe[0];
    lambda1Spread.push(spread);
    const mf = meanFieldLambda1(g);
    meanfield.push(mf);
    // The corrections are for the autonomous map; a driven net gets the plain spread band.
    const band = s.drive ? { bias: 0, err: spread, lo: mf - 2 * spread, hi: mf + 2 * spread } : finiteSizeBand(g, s.hidden, spread);
    lambda1Err.push(band.err);
    finiteSizeBias.push(band.bias);
    meanfieldBand.push([band.lo, band.hi]);
    insideBand.push(mean >= band.lo && mean <= band.hi);
  }
  return {
    hidden: s.hidden,
    k: s.k,
    steps: s.steps,
    transient: s.transient,
    driven: s.drive !== null,
    gains: [...gains],
    seeds: [...seeds],
    lambda1,
    spectrum,
    kaplanYorke,
    lambda1Mean,
    lambda1Spread,
    lambda1Err,
    meanfield,
    finiteSizeBias,
    meanfieldBand,
    insideBand,
  };
}

/**
 * Parses a gain list: "a:b:step" (inclusive of b within step/1e6) or "g1,g2,...". Throws a message
 * naming the problem. Gains are rounded to 12 significant digits (0.1 steps give 0.3, not 0.30000000000000004).
 */
export function parseGains(text: string): number[] {
  const t = text.trim();
  const round = (x: number) => Number(x.toPrecision(12));
  let out: number[];
  if (t.includes(':')) {
    const parts = t.split(':').map(Number);
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) throw new Error(`gains "${text}": expected start:stop:step`);
    const [a, b, step] = parts;
    if (!(step > 0) || b < a) throw new Error(`gains "${text}": need step > 0 and stop >= start`);
    const n = Math.floor((b - a) / step + 1e-6);
    if (n > 10_000) throw new Error(`gains "${text}": ${n + 1} gains is too many (at most 10001)`);
    out = Array.from({ length: n + 1 }, (_, i) => round(a + i * step));
  } else {
    const parts = t.split(',').map((p) => p.trim());
    out = parts.map(Number);
    if (parts.some((p) => p === '') || out.some((g) => !Number.isFinite(g)))
      throw new Error(`gains "${text}": expected numbers separated by commas`);
  }
  for (const g of out) if (!(g >= 0 && g <= 100)) throw new Error(`gains "${text}": gain ${g} is outside 0..100`);
  return out;
}
