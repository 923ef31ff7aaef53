/**
 * Defaults of an analysis, one table for the app and the CLI (no imports, so the run config,
 * the flip test and the CLI can all read it): s_t(n) with n = 1 (the paper's largest-exponent
 * score), the paper's k values (capped by T where used), R = 50 random sets per k, 10 matched
 * draws per probe and k, seed 0 where no run seed is given (the app passes the run's seed), and
 * the alignment's sizes (capped by N where used).
 */
export const ANALYSIS_DEFAULTS = {
  n: 1,
  /** The paper's k values; values above T are dropped. */
  kList: [1, 2, 3, 5, 10, 20, 30, 50, 75, 100, 200, 300] as readonly number[],
  /** The paper's number of random draws per k. */
  draws: 50,
  /** Matched random draws per probe and k: they enter only as a per-probe mean, so fewer than R suffice. */
  matchedDraws: 10,
  seed: 0,
  /** The paper's alignment statistic pairs the first 10 Q vectors with the top 5 right singular vectors. */
  alignQVectors: 10,
  alignSingularVectors: 5,
  /** Subspace sizes m of the principal-angle overlaps. */
  overlapM: [1, 3, 5] as readonly number[],
  /** Alignment steps: this many, evenly spaced, ending at T. */
  alignSteps: 5,
} as const;
