/**
 * Units of Lyapunov exponents: natural log per step (our default) or bits per step (log2, what the
 * paper's released code reports). One switch (the `units` view key, the CLI's --log2); every
 * conversion happens here and every axis label comes from unitLabel, so the two never disagree.
 */

/** 'e': ln per step; '2': bits (log2) per step. */
export type LogBase = 'e' | '2';

export const LOG_BASES: readonly LogBase[] = ['e', '2'];

/** Factor taking ln-per-step values to the base: 1 or 1/ln 2. */
export function perStepScale(base: LogBase): number {
  return base === '2' ? 1 / Math.LN2 : 1;
}

/** A value in ln per step, in the base's unit. */
export function inLogBase(lnPerStep: number, base: LogBase): number {
  return lnPerStep * perStepScale(base);
}

/** Every entry of nested arrays of ln-per-step values in the base's unit (same nesting). */
export function nestedInLogBase<T>(v: T, base: LogBase): T {
  const s = perStepScale(base);
  const conv = (x: unknown): unknown => (Array.isArray(x) ? x.map(conv) : typeof x === 'number' ? x * s : x);
  return conv(v) as T;
}

/** Axis / column label of the unit: "ln per step" or "bits per step". */
export function unitLabel(base: LogBase): string {
  return base === '2' ? 'bits per step' : 'ln per step';
}
