/**
 * Bench helpers without tfjs (so Node scripts run under tsx can use them): the training config
 * shape, a deterministic synthetic batch, and the median/min/max summary every row carries.
 */
import { createRng } from '../core/rng';
import { median } from '../core/stats/descriptive';

export interface TrainConfig {
  T: number;
  D: number;
  N: number;
  B: number;
}

/** Median, min and max of a list of milliseconds (rounded to 0.01 ms). */
export function summarize(ms: number[]): { median_ms: number; min_ms: number; max_ms: number } {
  const s = [...ms].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { median_ms: r(median(s)), min_ms: r(s[0]), max_ms: r(s[s.length - 1]) };
}

/** A deterministic batch: x [B*T*D] in [0, 1) (like pixel values), labels [B] in 0..9. */
export function syntheticBatch(c: TrainConfig, seed = 1): { x: Float32Array; y: Int32Array } {
  const rng = createRng(seed);
  return { x: Float32Array.from({ length: c.B * c.T * c.D }, () => rng.next()), y: Int32Array.from({ length: c.B }, () => rng.int(10)) };
}
