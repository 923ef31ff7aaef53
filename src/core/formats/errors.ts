/**
 * FormatError: the one error type every reader of an interchange file throws. `field` is the
 * dotted path of the offending key (e.g. "tensors.weight_hh_l0.shape"), and the message starts
 * with it, so a CLI or a banner can show one line that tells the user what to fix.
 */
export class FormatError extends Error {
  /** Dotted path of the offending field ("(root)" for the document itself). */
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'FormatError';
    this.field = field;
  }
}

/** Formats a zod-style issue path (["tensors", "fc.bias", "data", 3]) as "tensors.fc.bias.data[3]". */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += (out === '' ? '' : '.') + String(p);
  }
  return out === '' ? '(root)' : out;
}

/** Largest interchange file we parse (characters): N = 1024 LSTM weights fit with room to spare. */
export const MAX_JSON_CHARS = 256 * 1024 * 1024;

/**
 * JSON.parse with a size limit; throws FormatError("(root)") on oversized or malformed text.
 * A reviver drops "__proto__" / "constructor" / "prototype" keys so nothing downstream can
 * ever see them (JSON.parse itself never pollutes prototypes, but spreading such an object could).
 */
export function parseJsonText(text: string, what: string): unknown {
  if (typeof text !== 'string') throw new FormatError('(root)', `${what}: expected JSON text`);
  if (text.length > MAX_JSON_CHARS) {
    throw new FormatError('(root)', `${what} is too large (${text.length} characters > ${MAX_JSON_CHARS})`);
  }
  try {
    return JSON.parse(text, (key, value) => (key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value));
  } catch (e) {
    throw new FormatError('(root)', `${what} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Copies a JSON array of finite numbers into a Float64Array, throwing FormatError naming
 * `field[i]` for the first non-finite or non-number entry.
 */
export function toFloat64(value: unknown, field: string, expectedLength?: number): Float64Array {
  if (!Array.isArray(value)) throw new FormatError(field, 'expected an array of numbers');
  if (expectedLength !== undefined && value.length !== expectedLength) {
    throw new FormatError(field, `expected ${expectedLength} numbers, got ${value.length}`);
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new FormatError(`${field}[${i}]`, `expected a finite number, got ${JSON.stringify(v) ?? String(v)}`);
    }
    out[i] = v;
  }
  return out;
}
