/**
 * The heatmap's numbers, computed once: one probe's ln r slice, its s_t(n) (core's
 * stepScoresFromLnR with n clamped to what the panel can show) and the colour domain's half-width
 * (largest |s_t(n)| of a probe, an epoch or every epoch). The renderer (ui/renderers/heatmap.ts)
 * only maps them to colours and cells.
 */
import { stepScoresFromLnR } from '../sensitivity/scores';

/**
 * Extracts one probe's ln r values from the snapshot's flat lnR [B][T][k]: returns [T][k] flat
 * (a copy), ln per step.
 */
export function probeLnR(lnR: ArrayLike<number>, probe: number, T: number, k: number): Float64Array {
  const out = new Float64Array(T * k);
  const base = probe * T * k;
  for (let i = 0; i < T * k; i++) out[i] = lnR[base + i];
  return out;
}

/** The n of s_t(n) a panel can show for k tracked vectors: n clamped to 1..k (core rejects others). */
export function clampScoreN(n: number, k: number): number {
  return Math.max(1, Math.min(k, Math.floor(n)));
}

/**
 * One probe's s_t(n) for drawing: core's stepScoresFromLnR on lnR flat [T][k] (B = 1) with n
 * clamped to 1..k. Returns [T], ln per step.
 */
export function probeStepScores(lnR: ArrayLike<number>, T: number, k: number, n: number): Float64Array {
  return stepScoresFromLnR(lnR, 1, T, k, clampScoreN(n, k));
}

/** Largest |value| over the finite entries of the arrays (the half-width of a 0-centred domain); 1 if none. */
export function symmetricDomain(...arrays: ArrayLike<number>[]): number {
  let m = 0;
  for (const arr of arrays) {
    for (let i = 0; i < arr.length; i++) {
      const a = Math.abs(arr[i]);
      if (Number.isFinite(a) && a > m) m = a;
    }
  }
  return m > 0 ? m : 1;
}

/**
 * Half-width of the 0-centred colour domain over every probe of one epoch: max |s_t(n)| over
 * lnR flat [B][T][k] (B inferred from the length), scores from core's stepScoresFromLnR. Use it for the "this epoch" normalisation;
 * take the max over epochs for "all epochs".
 */
export function epochScoreHalfWidth(lnR: ArrayLike<number>, T: number, k: number, n: number): number {
  return symmetricDomain(stepScoresFromLnR(lnR, lnR.length / (T * k), T, k, clampScoreN(n, k)));
}
