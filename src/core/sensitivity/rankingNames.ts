/**
 * Names of the flip-test rankings (FlipSummary.dL keys) as people read them, and the order in
 * which legends, tables and verdicts list them. Defined here (core) so the verdict sentences and
 * the charts say the same words.
 */

/**
 * What one time step feeds, and so what the flip test flips: one pixel (pixel-wise encodings,
 * D = 1 input per step) or one row of S pixels (row-wise, D = S).
 */
export type StepUnit = 'pixel' | 'row';

/** The step unit of an encoding with D inputs per step. */
export function stepUnitOf(D: number): StepUnit {
  return D > 1 ? 'row' : 'pixel';
}

/** Label of a ranking for a step unit: "last pixels" becomes "last rows" in row-wise encodings. */
export function rankingLabel(name: string, unit: StepUnit = 'pixel'): string {
  const label = RANKING_LABELS[name] ?? name;
  return unit === 'row' ? label.replace('last pixels', 'last rows') : label;
}

/** Human labels of the flip rankings, plus "random" for the baseline. */
export const RANKING_LABELS: Record<string, string> = {
  top: 'R-top (largest s_t)',
  bottom: 'R-bottom (smallest s_t)',
  saliency: 'saliency |dL/dx|',
  taylor: 'Taylor (x-flip)·dL/dx',
  last: 'last pixels',
  matched: 'matched random (flip direction)',
  matched_time: 'matched random (time)',
  random: 'random',
};

/** Short names for sentences ("gradient saliency beats R-top at 9 of 10 k"). */
export const RANKING_SHORT: Record<string, string> = {
  top: 'R-top',
  bottom: 'R-bottom',
  saliency: 'gradient saliency',
  taylor: 'the Taylor estimate',
  last: 'the last pixels',
  matched: 'random sets matched on flip direction',
  matched_time: 'random sets matched on time',
  random: 'random',
};

/** Ranking order used by legends, tables and the flip chart: the claim first, then its controls. */
export const RANKING_ORDER = ['top', 'bottom', 'saliency', 'taylor', 'last', 'matched', 'matched_time'] as const;
