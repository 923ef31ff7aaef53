/**
 * Finite-size corrections to the mean-field lambda_1(g) of the autonomous random tanh map
 * h_t = tanh(g W h_{t-1}), W_ij ~ N(0, 1/N) (method.md §8, "The finite-size band"). Mean-field
 * theory (meanField.ts) is the N -> infinity limit; a network of N units differs from it in known
 * ways, and the band the chaos view and `ftle-lab chaos` report includes them:
 *
 * - Below the transition the state decays to the fixed point 0, the Jacobian becomes g W, and
 *   lambda_1 -> ln(g rho(W)) with rho(W) the spectral radius of a finite real Gaussian (Ginibre)
 *   matrix: E[ln rho] > 0 (the circular law's edge is soft at finite N, excess ~ sqrt(ln N / N)).
 *   The zero state loses stability where g rho(W) = 1, i.e. below g = 1; past it a finite net sits
 *   on a small fixed point, cycle or torus with lambda_1 <= 0, so the prediction is capped at 0.
 *   Mean and std of ln rho(W) are measured (GINIBRE_LN_RADIUS; numpy eigvals, method.md §8).
 * - Well above the transition the chaotic exponent is biased low by c / N (CHAOTIC_BIAS, measured
 *   at N = 64, 128, 256 with seeds disjoint from any check; method.md §8), capped so the prediction
 *   does not go below 0.
 * - In the transition window g = 0.85..1.9 (WINDOW_JOIN) neither law holds: finite nets
 *   settle on stable fixed points or cycles (lambda_1 < 0), on tori (lambda_1 ~ 0) or are chaotic,
 *   the seeds' distribution is multimodal, and the deviation from mean-field theory shrinks more
 *   slowly than 1/N near g = 1.2. There the deviation and the network-to-network spread are a
 *   measured table (WINDOW_BIAS, scripts/calibrate-chaos-bias.ts --window), joined to the two laws
 *   at the window's ends, and the band uses the larger of the seeds' own spread and the measured
 *   one (a few seeds can all land in one mode and understate it).
 *
 * Not covered (said, not hidden): driven networks (mean-field theory here has no input); other T
 * than the calibration's 500 after 200 use the same tables; N beyond a table is an extrapolation.
 */
import { meanFieldLambda1 } from './meanField';

/**
 * Mean and standard deviation of ln rho(W) for W_ij ~ N(0, 1/N) real Gaussian, measured with
 * numpy.linalg.eigvals over `draws` matrices per N (seeded; method.md §8 lists the script's output).
 * se = sd / sqrt(draws) is the uncertainty of `mean`.
 */
export const GINIBRE_LN_RADIUS: readonly { N: number; draws: number; mean: number; sd: number }[] = [
  { N: 16, draws: 4000, mean: 0.06138, sd: 0.11471 },
  { N: 32, draws: 2000, mean: 0.05907, sd: 0.07257 },
  { N: 64, draws: 1000, mean: 0.05368, sd: 0.04504 },
  { N: 128, draws: 600, mean: 0.04569, sd: 0.03342 },
  { N: 256, draws: 300, mean: 0.03495, sd: 0.02091 },
  { N: 512, draws: 100, mean: 0.02975, sd: 0.01418 },
];

/**
 * The finite-N chaotic bias lambda_1(N) - lambda_1(inf) = -c(N) / N above the transition, measured:
 * c = N (meanfield - mean lambda_1) averaged over g = 1.8, 2, .., 3 (20 seeds at N = 64 and 128, 10
 * at 256; seeds 100.., T = 500 after 200), `sd` its spread over those gains (the model's own
 * uncertainty, added to the band). c settles from ~3 at N = 64 to ~2.3 at N >= 128.
 */
export const CHAOTIC_BIAS: readonly { N: number; c: number; sd: number }[] = [
  { N: 64, c: 3.039, sd: 0.298 },
  { N: 128, c: 2.305, sd: 0.175 },
  { N: 256, c: 2.259, sd: 0.363 },
];

/**
 * c(N) and its sd: linear in 1/N between table rows; the last row's c beyond it (c has settled by
 * N = 128), the first row's below it (an extrapolation for N < 64).
 */
export function chaoticBiasCoefficient(N: number): { c: number; sd: number } {
  const t = CHAOTIC_BIAS;
  if (N <= t[0].N) return { c: t[0].c, sd: t[0].sd };
  if (N >= t[t.length - 1].N) return { c: t[t.length - 1].c, sd: t[t.length - 1].sd };
  // At a row's own N, that row (not the larger sd of it and the row before).
  const at = t.find((r) => r.N === N);
  if (at) return { c: at.c, sd: at.sd };
  let i = 0;
  while (t[i + 1].N < N) i++;
  const w = (1 / t[i].N - 1 / N) / (1 / t[i].N - 1 / t[i + 1].N);
  return { c: (1 - w) * t[i].c + w * t[i + 1].c, sd: Math.max(t[i].sd, t[i + 1].sd) };
}

/**
 * The transition window: the measured table covers the knots WINDOW_KNOTS strictly between the join
 * gains; at g <= lo the Ginibre-edge law applies, at g >= hi the -c/N law, and between them the
 * correction is linear in g through the knots and the two laws' values at lo and hi (so it is
 * continuous). The joins are where the measured mean agrees with those laws (within 1.6 standard
 * errors at every tabulated N; the calibration script prints the check).
 */
export const WINDOW_JOIN = { lo: 0.85, hi: 1.9 } as const;

/** Gains of the window table's measured knots: 0.9, 0.95, .., 1.85. */
export const WINDOW_KNOTS: readonly number[] = Array.from({ length: 20 }, (_, i) => Number((0.9 + 0.05 * i).toFixed(2)));

/**
 * The finite-N deviation in the transition window, measured at each of WINDOW_KNOTS by
 * `scripts/calibrate-chaos-bias.ts --window N seeds` (seeds 100.., T = 500 after 200, k = 1):
 * c = N (meanfield - mean lambda_1) (as CHAOTIC_BIAS, though here it is not constant in N) and
 * `spread` the std of lambda_1 over the `seeds` networks (ln per step; its multimodality is the
 * window's). The uncertainty of the mean, spread / sqrt(seeds), enters the band as the correction's sd.
 */
export const WINDOW_BIAS: readonly { N: number; seeds: number; c: readonly number[]; spread: readonly number[] }[] = [
  {
    N: 64,
    seeds: 60,
    c: [-2.64, -1.29, 1.21, 1.09, 1.21, 1.43, 1.69, 2.14, 2.59, 3.04, 3.26, 3.27, 3.53, 3.39, 3.24, 3.37, 3.64, 3.61, 3.44, 3.1],
    spread: [
      0.0387, 0.036, 0.0375, 0.0359, 0.0335, 0.034, 0.0342, 0.0337, 0.0334, 0.0335, 0.0367, 0.038, 0.0406, 0.0436, 0.0467, 0.0517, 0.0532,
      0.0519, 0.0512, 0.0474,
    ],
  },
  {
    N: 128,
    seeds: 40,
    c: [-5.53, -3.72, 1.15, 1.09, 1.42, 2.05, 2.57, 2.86, 3.43, 4.1, 4.04, 4.17, 4.06, 3.87, 3.59, 3.39, 3.16, 2.98, 2.77, 2.81],
    spread: [
      0.0283, 0.0259, 0.0234, 0.0239, 0.0215, 0.0191, 0.0166, 0.0087, 0.0112, 0.0165, 0.0166, 0.0197, 0.0215, 0.0222, 0.021, 0.0198, 0.0179,
      0.015, 0.014, 0.0158,
    ],
  },
  {
    N: 256,
    seeds: 30,
    c: [-10.5, -8.25, 2.6, 2.65, 2.84, 3.76, 4.69, 5.66, 6.42, 6.71, 7.03, 5.75, 5.74, 5.08, 4.51, 4.15, 3.89, 3.62, 3.04, 2.39],
    spread: [
      0.0207, 0.0131, 0.0165, 0.0178, 0.0156, 0.0133, 0.012, 0.0115, 0.012, 0.0146, 0.016, 0.0161, 0.0141, 0.0162, 0.0176, 0.0164, 0.0165,
      0.0132, 0.0113, 0.0091,
    ],
  },
  {
    N: 512,
    seeds: 32,
    c: [-16.4, -15.43, 1.03, 1.17, 2.92, 4.98, 7.05, 8.15, 7.94, 7.44, 6.02, 5.26, 4.75, 3.84, 3.26, 3.23, 2.36, 2.08, 2.32, 1.89],
    spread: [
      0.0148, 0.0117, 0.0076, 0.0057, 0.0051, 0.0042, 0.0045, 0.0067, 0.0083, 0.0096, 0.0093, 0.0085, 0.0084, 0.0074, 0.0063, 0.0051,
      0.0039, 0.0043, 0.003, 0.0034,
    ],
  },
];

/**
 * The window table at N for every knot: c and spread linear in 1/N between rows (with the same
 * weight, as chaoticBiasCoefficient), the first row's below the table and the last row's beyond it
 * (an extrapolation: the deviation then shrinks like 1/N, faster than measured near g = 1.2).
 * `se` is spread / sqrt(seeds), the larger of the two rows'.
 */
export function windowBiasAt(N: number): { c: number[]; spread: number[]; se: number[] } {
  const t = WINDOW_BIAS;
  const row = (r: (typeof t)[number]) => ({
    c: [...r.c],
    spread: [...r.spread],
    se: r.spread.map((s) => s / Math.sqrt(r.seeds)),
  });
  if (N <= t[0].N) return row(t[0]);
  if (N >= t[t.length - 1].N) return row(t[t.length - 1]);
  const at = t.find((r) => r.N === N);
  if (at) return row(at);
  let i = 0;
  while (t[i + 1].N < N) i++;
  const w = (1 / t[i].N - 1 / N) / (1 / t[i].N - 1 / t[i + 1].N);
  const a = row(t[i]);
  const b = row(t[i + 1]);
  return {
    c: a.c.map((x, j) => (1 - w) * x + w * b.c[j]),
    spread: a.spread.map((x, j) => (1 - w) * x + w * b.spread[j]),
    se: a.se.map((x, j) => Math.max(x, b.se[j])),
  };
}

/**
 * Mean and sd of ln rho(W) at N (ln per step): log-log interpolation in the measured table, and
 * beyond it mean and sd scaled by (N_edge / N)^(1/2) (the leading order; an extrapolation).
 */
export function ginibreLnRadius(N: number): { mean: number; sd: number; se: number } {
  if (!(Number.isFinite(N) && N >= 1)) throw new Error(`ginibreLnRadius: N = ${N} must be >= 1`);
  const t = GINIBRE_LN_RADIUS;
  const at = (i: number) => ({ mean: t[i].mean, sd: t[i].sd, se: t[i].sd / Math.sqrt(t[i].draws) });
  if (N <= t[0].N) return at(0);
  const last = t.length - 1;
  if (N >= t[last].N) {
    const f = Math.sqrt(t[last].N / N);
    const e = at(last);
    return { mean: e.mean * f, sd: e.sd * f, se: e.se * f };
  }
  let i = 0;
  while (t[i + 1].N < N) i++;
  const w = Math.log(N / t[i].N) / Math.log(t[i + 1].N / t[i].N);
  const a = at(i);
  const b = at(i + 1);
  const lerpLog = (x: number, y: number) => Math.exp((1 - w) * Math.log(x) + w * Math.log(y));
  return { mean: lerpLog(a.mean, b.mean), sd: lerpLog(a.sd, b.sd), se: Math.max(a.se, b.se) };
}

/** The finite-N prediction of lambda_1 at (g, N), ln per step. */
export interface FiniteSizeLambda1 {
  /** Mean-field lambda_1(g) (N -> infinity). */
  meanfield: number;
  /** Predicted mean lambda_1 of a network of N units: meanfield + bias. */
  center: number;
  /** center - meanfield: the known finite-N correction. */
  bias: number;
  /**
   * Uncertainty of the correction itself (std, ln per step): the Ginibre table's se at the edge,
   * sd(c) / N when chaotic, the window table's spread / sqrt(seeds) in the window.
   */
  biasSd: number;
  /**
   * The measured network-to-network spread of lambda_1 (std over seeds, ln per step) that the band
   * uses at least: the window table's (linear in g, 0 at the joins); 0 outside the window.
   */
  spreadFloor: number;
  /**
   * Which correction applies: 'edge' (g <= 0.85, Ginibre edge), 'window' (0.85 < g < 1.9, the
   * measured table) or 'chaotic' (g >= 1.9, -c/N).
   */
  regime: 'edge' | 'window' | 'chaotic';
}

/** The Ginibre-edge law (meant for g <= 1): min(ln g + E[ln rho_N], 0). */
function edgeLambda1(g: number, N: number): FiniteSizeLambda1 {
  const meanfield = meanFieldLambda1(g);
  const r = ginibreLnRadius(N);
  const center = Math.min(meanfield + r.mean, 0);
  return { meanfield, center, bias: center - meanfield, biasSd: r.se, spreadFloor: 0, regime: 'edge' };
}

/** The chaotic law (meant for g well above 1): max(meanfield - c(N)/N, 0). */
function chaoticLambda1(g: number, N: number): FiniteSizeLambda1 {
  const meanfield = meanFieldLambda1(g);
  const { c, sd } = chaoticBiasCoefficient(N);
  const center = Math.max(meanfield - c / N, 0);
  return { meanfield, center, bias: center - meanfield, biasSd: sd / N, spreadFloor: 0, regime: 'chaotic' };
}

/**
 * Predicted lambda_1 of an autonomous random tanh network of N units at gain g (ln per step):
 * g <= 0.85: min(ln g + E[ln rho_N], 0); g >= 1.9: max(meanfield - c(N)/N, 0); between, meanfield
 * plus the measured window correction, linear in g between its knots and those two laws at the
 * joins (method.md §8).
 */
export function finiteSizeLambda1(g: number, N: number): FiniteSizeLambda1 {
  const { lo, hi } = WINDOW_JOIN;
  if (g <= lo) return edgeLambda1(g, N);
  if (g >= hi) return chaoticLambda1(g, N);
  const a = edgeLambda1(lo, N);
  const b = chaoticLambda1(hi, N);
  const t = windowBiasAt(N);
  const gs = [lo, ...WINDOW_KNOTS, hi];
  const bias = [a.bias, ...t.c.map((c) => -c / N), b.bias];
  const sd = [a.biasSd, ...t.se, b.biasSd];
  const floor = [0, ...t.spread, 0];
  let j = 0;
  while (gs[j + 1] <= g) j++;
  const u = (g - gs[j]) / (gs[j + 1] - gs[j]);
  const lerp = (x: number[]) => (1 - u) * x[j] + u * x[j + 1];
  const meanfield = meanFieldLambda1(g);
  const b0 = lerp(bias);
  return { meanfield, center: meanfield + b0, bias: b0, biasSd: lerp(sd), spreadFloor: lerp(floor), regime: 'window' };
}

/** The finite-size band of lambda_1 at one gain (ln per step). */
export interface FiniteSizeBand extends FiniteSizeLambda1 {
  /** Total finite-size error: sqrt(max(spread, spreadFloor)^2 + biasSd^2). */
  err: number;
  /** center -+ 2 err: where a network of N units should fall. */
  lo: number;
  hi: number;
}

/**
 * The band at (g, N) given the measured network-to-network spread (std of lambda_1 over seeds, or
 * one seed's time-average SE): center -+ 2 sqrt(max(spread, spreadFloor)^2 + biasSd^2). The mean
 * field "matches within the band" when the seeds' mean lambda_1 lies in [lo, hi], i.e. when the
 * measured mean minus the known correction is within 2 err of mean-field theory.
 */
export function finiteSizeBand(g: number, N: number, spread: number): FiniteSizeBand {
  const p = finiteSizeLambda1(g, N);
  const err = Math.hypot(Math.max(spread, p.spreadFloor), p.biasSd);
  return { ...p, err, lo: p.center - 2 * err, hi: p.center + 2 * err };
}
