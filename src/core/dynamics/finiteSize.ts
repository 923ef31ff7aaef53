/**
 * Finite-size corrections to the mean-field lambda_1(g) of the autonomous random tanh map
 * h_t = tanh(g W h_{t-1}), W_ij ~ N(0, 1/N) (method.md §8, "The finite-size band"). Mean-field
 * theory (meanField.ts) is the N -> infinity limit; a network of N units differs from it in two
 * known ways, and the band the chaos view and `ftle-lab chaos` report includes both:
 *
 * - Below the transition the state decays to the fixed point 0, the Jacobian becomes g W, and
 *   lambda_1 -> ln(g rho(W)) with rho(W) the spectral radius of a finite real Gaussian (Ginibre)
 *   matrix: E[ln rho] > 0 (the circular law's edge is soft at finite N, excess ~ sqrt(ln N / N)).
 *   The zero state loses stability where g rho(W) = 1, i.e. below g = 1; past it a finite net sits
 *   on a small fixed point, cycle or torus with lambda_1 <= 0, so the prediction is capped at 0.
 *   Mean and std of ln rho(W) are measured (GINIBRE_LN_RADIUS; numpy eigvals, method.md §8).
 * - Above the transition the chaotic exponent is biased low by c / N (CHAOTIC_BIAS, measured at
 *   N = 64, 128, 256 with seeds disjoint from any check; method.md §8), capped so the prediction
 *   does not go below 0 where mean-field lambda_1 is itself smaller than c / N (g just above 1).
 *
 * Not covered (said, not hidden): driven networks (mean-field theory here has no input), and the
 * window just above g = 1 where finite nets may be quasi-periodic (lambda_1 ~ 0) rather than
 * chaotic: there the band's width is the measured seed spread, which that bimodality inflates.
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
  let i = 0;
  while (t[i + 1].N < N) i++;
  const w = (1 / t[i].N - 1 / N) / (1 / t[i].N - 1 / t[i + 1].N);
  return { c: (1 - w) * t[i].c + w * t[i + 1].c, sd: Math.max(t[i].sd, t[i + 1].sd) };
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
  /** Uncertainty of the correction itself (std, ln per step): table se below, sd(c) / N above. */
  biasSd: number;
  /** Which correction applies: 'edge' (g <= 1, Ginibre edge) or 'chaotic' (g > 1, -c/N). */
  regime: 'edge' | 'chaotic';
}

/**
 * Predicted lambda_1 of an autonomous random tanh network of N units at gain g (ln per step):
 * g <= 1: min(ln g + E[ln rho_N], 0); g > 1: max(meanfield - c(N)/N, 0) (method.md §8).
 */
export function finiteSizeLambda1(g: number, N: number): FiniteSizeLambda1 {
  const meanfield = meanFieldLambda1(g);
  if (g <= 1) {
    const r = ginibreLnRadius(N);
    const center = Math.min(meanfield + r.mean, 0);
    return { meanfield, center, bias: center - meanfield, biasSd: r.se, regime: 'edge' };
  }
  const { c, sd } = chaoticBiasCoefficient(N);
  const center = Math.max(meanfield - c / N, 0);
  return { meanfield, center, bias: center - meanfield, biasSd: sd / N, regime: 'chaotic' };
}

/** The finite-size band of lambda_1 at one gain (ln per step). */
export interface FiniteSizeBand extends FiniteSizeLambda1 {
  /** Total finite-size error: sqrt(spread^2 + biasSd^2). */
  err: number;
  /** center -+ 2 err: where a network of N units should fall. */
  lo: number;
  hi: number;
}

/**
 * The band at (g, N) given the measured network-to-network spread (std of lambda_1 over seeds, or
 * one seed's time-average SE): center -+ 2 sqrt(spread^2 + biasSd^2). The mean field "matches
 * within the band" when the seeds' mean lambda_1 lies in [lo, hi], i.e. when the measured mean
 * minus the known correction is within 2 err of mean-field theory.
 */
export function finiteSizeBand(g: number, N: number, spread: number): FiniteSizeBand {
  const p = finiteSizeLambda1(g, N);
  const err = Math.hypot(spread, p.biasSd);
  return { ...p, err, lo: p.center - 2 * err, hi: p.center + 2 * err };
}
