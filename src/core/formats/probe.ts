/**
 * Reader and writer for `ftle-lab.probe/v1` (shared docs formats.md): a set of B input sequences
 * [B][T][D] with labels, optional initial states h0 (and c0 for LSTM), and an optional `flip`
 * block fixing a flip-test experiment (n, k_list, rand_sets). Throws FormatError naming the field.
 */
import { z } from 'zod';
import { FormatError, parseJsonText, toFloat64 } from './errors';
import { MODEL_LIMITS, zodParse, type ModelWeights } from './model';

export const PROBE_FORMAT = 'ftle-lab.probe/v1';
export const PROBE_LIMITS = { maxProbes: 4096, maxSteps: MODEL_LIMITS.maxSteps, maxElements: 64 * 1024 * 1024 } as const;

/** Flip-test settings carried by a probe file: rand_sets [K][R][k] are 0-based time indices. */
export interface ProbeFlipSpec {
  n?: number;
  kList?: number[];
  randSets?: number[][][];
}

/**
 * A probe set in float64: inputs flat [B*T*D] (time index 0 is step t = 1), labels [B],
 * h0 [B*N] and c0 [B*N] when given (zeros otherwise).
 */
export interface Probe {
  B: number;
  T: number;
  D: number;
  inputs: Float64Array;
  labels: Int32Array;
  h0?: Float64Array;
  c0?: Float64Array;
  flip?: ProbeFlipSpec;
}

// Big arrays are z.array(z.unknown()) and checked by hand below: zod records one issue per bad
// entry, which for a hostile 200k-entry array costs seconds and can overflow the stack. Hand
// checks stop at the first bad entry and name it.
const ProbeSchema = z.object({
  format: z.literal(PROBE_FORMAT),
  inputs: z.array(z.unknown()).min(1).max(PROBE_LIMITS.maxProbes),
  labels: z.array(z.unknown()).max(PROBE_LIMITS.maxProbes),
  h0: z.array(z.unknown()).max(PROBE_LIMITS.maxProbes).nullable().optional(),
  c0: z.array(z.unknown()).max(PROBE_LIMITS.maxProbes).nullable().optional(),
  flip: z
    .object({
      n: z
        .number()
        .int()
        .min(1)
        .max(MODEL_LIMITS.maxHidden * 2)
        .optional(),
      k_list: z.array(z.unknown()).min(1).max(1000).optional(),
      rand_sets: z.array(z.unknown()).max(1000).optional(),
    })
    .nullable()
    .optional(),
});

/** Checks that value is an array (of at most max entries); returns it. */
function arrayAt(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new FormatError(field, 'expected an array');
  if (value.length > max) throw new FormatError(field, `too many entries (${value.length} > ${max})`);
  return value;
}

/** Integers in [min, max) from a JSON array, stopping at the first bad entry. */
function intsAt(value: unknown, field: string, min: number, maxExclusive: number, maxLength: number): number[] {
  const arr = arrayAt(value, field, maxLength);
  const out: number[] = new Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v >= maxExclusive) {
      throw new FormatError(`${field}[${i}]`, `expected an integer in ${min}..${maxExclusive - 1}, got ${JSON.stringify(v) ?? String(v)}`);
    }
    out[i] = v;
  }
  return out;
}

function matrixRows(rows: unknown[], field: string, width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  for (let b = 0; b < rows.length; b++) out.set(toFloat64(rows[b], `${field}[${b}]`, width), b * width);
  return out;
}

/** Validates an already-parsed JSON value as `ftle-lab.probe/v1`; see parseProbeJson. */
export function parseProbeObject(value: unknown): Probe {
  const p = zodParse(ProbeSchema, value);
  const B = p.inputs.length;
  const first = arrayAt(p.inputs[0], 'inputs[0]', PROBE_LIMITS.maxSteps);
  const T = first.length;
  if (T < 1) throw new FormatError('inputs[0]', `expected 1..${PROBE_LIMITS.maxSteps} time steps, got ${T}`);
  const D = arrayAt(first[0], 'inputs[0][0]', MODEL_LIMITS.maxInput).length;
  if (D < 1) throw new FormatError('inputs[0][0]', `expected 1..${MODEL_LIMITS.maxInput} inputs per step, got ${D}`);
  if (B * T * D > PROBE_LIMITS.maxElements) throw new FormatError('inputs', `too many numbers (${B * T * D})`);
  const inputs = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    const seq = arrayAt(p.inputs[b], `inputs[${b}]`, PROBE_LIMITS.maxSteps);
    if (seq.length !== T) throw new FormatError(`inputs[${b}]`, `expected ${T} time steps (as inputs[0]), got ${seq.length}`);
    for (let t = 0; t < T; t++) inputs.set(toFloat64(seq[t], `inputs[${b}][${t}]`, D), (b * T + t) * D);
  }
  if (p.labels.length !== B) throw new FormatError('labels', `expected ${B} labels (one per input sequence), got ${p.labels.length}`);
  const labels = intsAt(p.labels, 'labels', 0, 1_000_000, PROBE_LIMITS.maxProbes);
  const probe: Probe = { B, T, D, inputs, labels: Int32Array.from(labels) };
  for (const key of ['h0', 'c0'] as const) {
    const rows = p[key];
    if (rows == null) continue;
    if (rows.length !== B) throw new FormatError(key, `expected ${B} rows (one per input sequence), got ${rows.length}`);
    const N = arrayAt(rows[0], `${key}[0]`, MODEL_LIMITS.maxHidden).length;
    if (N < 1) throw new FormatError(`${key}[0]`, `expected 1..${MODEL_LIMITS.maxHidden} numbers, got ${N}`);
    probe[key] = matrixRows(rows, key, N);
  }
  if (probe.h0 && probe.c0 && probe.c0.length !== probe.h0.length) {
    throw new FormatError('c0[0]', `expected ${probe.h0.length / B} numbers (as h0), got ${probe.c0.length / B}`);
  }
  if (p.flip) {
    const flip: ProbeFlipSpec = {};
    if (p.flip.n !== undefined) flip.n = p.flip.n;
    if (p.flip.k_list) flip.kList = intsAt(p.flip.k_list, 'flip.k_list', 1, T + 1, 1000);
    if (p.flip.rand_sets) {
      const sets = p.flip.rand_sets;
      if (flip.kList && sets.length !== flip.kList.length) {
        throw new FormatError('flip.rand_sets', `expected ${flip.kList.length} entries (one per k_list value), got ${sets.length}`);
      }
      flip.randSets = sets.map((draws, i) =>
        arrayAt(draws, `flip.rand_sets[${i}]`, 100_000).map((set, r) => {
          const field = `flip.rand_sets[${i}][${r}]`;
          const s = intsAt(set, field, 0, T, T);
          if (flip.kList && s.length !== flip.kList[i])
            throw new FormatError(field, `expected ${flip.kList[i]} time indices, got ${s.length}`);
          if (new Set(s).size !== s.length) throw new FormatError(field, 'time indices must be distinct');
          return s;
        }),
      );
    }
    probe.flip = flip;
  }
  return probe;
}

/**
 * Parses `ftle-lab.probe/v1` JSON text: inputs [B][T][D] (rectangular, finite), labels [B]
 * (non-negative integers), optional h0 / c0 [B][N], optional flip block. Throws FormatError naming
 * the field. Use checkProbeForModel to check it against a model's sizes.
 */
export function parseProbeJson(text: string): Probe {
  return parseProbeObject(parseJsonText(text, 'probe file'));
}

/** Throws FormatError when a probe set does not fit a model (D, N, labels < C, c0 only for LSTM). */
export function checkProbeForModel(probe: Probe, weights: ModelWeights): void {
  if (probe.D !== weights.inputSize) {
    throw new FormatError('inputs', `expected ${weights.inputSize} inputs per step (model input_size), got ${probe.D}`);
  }
  for (let b = 0; b < probe.B; b++) {
    if (probe.labels[b] >= weights.numClasses)
      throw new FormatError(`labels[${b}]`, `label ${probe.labels[b]} >= num_classes ${weights.numClasses}`);
  }
  const N = weights.hiddenSize;
  if (probe.h0 && probe.h0.length !== probe.B * N)
    throw new FormatError('h0[0]', `expected ${N} numbers (model hidden_size), got ${probe.h0.length / probe.B}`);
  if (probe.c0) {
    if (weights.arch !== 'lstm') throw new FormatError('c0', `only an lstm has a cell state (model arch is ${weights.arch})`);
    if (probe.c0.length !== probe.B * N)
      throw new FormatError('c0[0]', `expected ${N} numbers (model hidden_size), got ${probe.c0.length / probe.B}`);
  }
}

/** Writes a probe set as a `ftle-lab.probe/v1` JSON-ready object (inverse of parseProbeObject). */
export function probeToJson(probe: Probe): Record<string, unknown> {
  const { B, T, D } = probe;
  const inputs: number[][][] = [];
  for (let b = 0; b < B; b++) {
    const seq: number[][] = [];
    for (let t = 0; t < T; t++) seq.push(Array.from(probe.inputs.subarray((b * T + t) * D, (b * T + t + 1) * D)));
    inputs.push(seq);
  }
  const out: Record<string, unknown> = { format: PROBE_FORMAT, inputs, labels: Array.from(probe.labels) };
  for (const key of ['h0', 'c0'] as const) {
    const m = probe[key];
    if (!m) continue;
    const N = m.length / B;
    out[key] = Array.from({ length: B }, (_, b) => Array.from(m.subarray(b * N, (b + 1) * N)));
  }
  if (probe.flip) {
    const f: Record<string, unknown> = {};
    if (probe.flip.n !== undefined) f.n = probe.flip.n;
    if (probe.flip.kList) f.k_list = [...probe.flip.kList];
    if (probe.flip.randSets) f.rand_sets = probe.flip.randSets;
    out.flip = f;
  }
  return out;
}
