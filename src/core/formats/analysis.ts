/**
 * `ftle-lab.analysis/v1`: our analysis output, with the same keys, shapes and indexing as the
 * float64 reference files (`ftle-lab.expected/v1`, shared docs formats.md), so the two can be
 * compared key by key. Arrays are nested plain number arrays (JSON-ready).
 */
import { z } from 'zod';
import { FormatError, parseJsonText } from './errors';
import { zodParse } from './model';

export const ANALYSIS_FORMAT = 'ftle-lab.analysis/v1';

/** Nested number arrays of any depth. */
export type Nested = number | Nested[];

/** Reshapes a flat row-major array into nested arrays of the given shape ([B][T][k] etc.). */
export function nest(flat: ArrayLike<number>, shape: number[]): Nested[] {
  const size = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size) throw new Error(`nest: ${flat.length} values do not fill shape [${shape.join(', ')}]`);
  const build = (off: number, dim: number): Nested[] => {
    const n = shape[dim];
    if (dim === shape.length - 1) return Array.from({ length: n }, (_, i) => flat[off + i]);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => build(off + i * stride, dim + 1));
  };
  return build(0, 0);
}

/** The keys every analysis file has (others — alignment, reduced_rank, flip, c_T — depend on arch/options). */
export const ANALYSIS_REQUIRED_KEYS = [
  'format',
  'k',
  'log_base',
  'logits',
  'loss',
  'loss_t',
  'rvals',
  'ftle',
  'ftle_mid',
  'q_final',
  'h_T',
  'grad_weight_hh',
  'singular_values',
  'grads',
  'jacobian_first',
  'jacobian_last',
  'checks',
] as const;

const AnalysisHead = z.object({
  format: z.literal(ANALYSIS_FORMAT),
  k: z.number().int().min(1),
  log_base: z.enum(['e', '2']),
});

/**
 * Parses an analysis file: checks the head (format, k, log_base) and that the required keys are
 * present; returns the object as is. Throws FormatError naming the field.
 */
export function parseAnalysisJson(text: string): Record<string, unknown> {
  const value = parseJsonText(text, 'analysis file');
  zodParse(AnalysisHead, value);
  const obj = value as Record<string, unknown>;
  for (const key of ANALYSIS_REQUIRED_KEYS) if (!(key in obj)) throw new FormatError(key, 'missing');
  return obj;
}
