/**
 * Reader of `ftle-lab.chaos/v1` (docs/formats.md), the edge-of-chaos sweep `ftle-lab chaos`
 * writes (src/cli/chaosCommand.ts chaosFileObject): back into a ChaosSweep in ln per step, so the
 * app's chaos view can replay a shipped sweep (the gallery). Throws FormatError naming the field.
 */
import type { ChaosSweep } from '../dynamics/edgeOfChaos';
import { FormatError, parseJsonText } from './errors';

export const CHAOS_FORMAT = 'ftle-lab.chaos/v1';

type Json = Record<string, unknown>;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function int(o: Json, key: string, min: number): number {
  const v = o[key];
  if (!(isNum(v) && Number.isInteger(v) && v >= min)) throw new FormatError(key, `expected an integer >= ${min}`);
  return v;
}

/** A nested array of finite numbers of the given shape (each entry a length), scaled by `s`. */
function nested(o: Json, key: string, shape: number[], s: number): unknown {
  const walk = (v: unknown, d: number, path: string): unknown => {
    if (d === shape.length) {
      if (!isNum(v)) throw new FormatError(path, 'expected a finite number');
      return v * s;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) throw new FormatError(path, `expected an array of ${shape[d]}`);
    return v.map((x, i) => walk(x, d + 1, `${path}[${i}]`));
  };
  return walk(o[key], 0, key);
}

/** An array of `n` booleans. */
function bools(o: Json, key: string, n: number): boolean[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'boolean'))
    throw new FormatError(key, `expected ${n} true/false values`);
  return [...v];
}

/**
 * Parses a chaos sweep file. Exponents come back in ln per step whatever the file's log_base
 * (bits are multiplied by ln 2); shapes as ChaosSweep: lambda1 [G][seeds], spectrum [G][seeds][k].
 */
export function parseChaosFile(text: string): ChaosSweep {
  const o = parseJsonText(text, 'chaos sweep') as Json;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new FormatError('(root)', 'expected a JSON object');
  if (o.format !== CHAOS_FORMAT) throw new FormatError('format', `expected "${CHAOS_FORMAT}"`);
  if (o.log_base !== 'e' && o.log_base !== '2') throw new FormatError('log_base', 'expected "e" or "2"');
  const toLn = o.log_base === '2' ? Math.LN2 : 1;
  const hidden = int(o, 'hidden', 1);
  const k = int(o, 'k', 1);
  if (k > hidden) throw new FormatError('k', `exceeds hidden = ${hidden}`);
  const steps = int(o, 'steps', 1);
  const transient = int(o, 'transient', 0);
  if (typeof o.driven !== 'boolean') throw new FormatError('driven', 'expected true or false');
  if (!Array.isArray(o.gains) || o.gains.length === 0 || !o.gains.every(isNum)) throw new FormatError('gains', 'expected finite numbers');
  if (!Array.isArray(o.seeds) || o.seeds.length === 0 || !o.seeds.every((x) => isNum(x) && Number.isInteger(x)))
    throw new FormatError('seeds', 'expected integers');
  const G = o.gains.length;
  const S = o.seeds.length;
  return {
    hidden,
    k,
    steps,
    transient,
    driven: o.driven,
    gains: [...(o.gains as number[])],
    seeds: [...(o.seeds as number[])],
    lambda1: nested(o, 'lambda1', [G, S], toLn) as number[][],
    spectrum: nested(o, 'spectrum', [G, S, k], toLn) as number[][][],
    kaplanYorke: nested(o, 'kaplan_yorke', [G, S], 1) as number[][],
    lambda1Mean: nested(o, 'lambda1_mean', [G], toLn) as number[],
    lambda1Err: nested(o, 'lambda1_err', [G], toLn) as number[],
    meanfield: nested(o, 'meanfield', [G], toLn) as number[],
    meanfieldBand: nested(o, 'meanfield_band', [G, 2], toLn) as [number, number][],
    lambda1Spread: nested(o, 'lambda1_spread', [G], toLn) as number[],
    finiteSizeBias: nested(o, 'finite_size_bias', [G], toLn) as number[],
    insideBand: bools(o, 'inside_band', G),
  };
}
