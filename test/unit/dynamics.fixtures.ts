/** Loads the float64 reference fixtures (test/fixtures) for the dynamics tests. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parseModelJson, type ModelWeights } from '../../src/core/formats/model';
import { parseProbeJson, type Probe } from '../../src/core/formats/probe';

export const FIXTURE_CASES = [
  'rnn_n8_t12_d1',
  'rnn_n16_t28_d28_trained',
  'gru_n8_t10_d2',
  'lstm_n8_t10_d2',
  'rnn_linear_n12_t40_d1',
  'rnn_chaotic_g2_n16_t40_d1',
] as const;
export const RNN_CASES = FIXTURE_CASES.filter((c) => c.startsWith('rnn'));

const dir = new URL('../fixtures/', import.meta.url);
export const fixturePath = (file: string): string => new URL(file, dir).pathname;

export interface Fixture {
  name: string;
  weights: ModelWeights;
  probe: Probe;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expected: any;
}

const cache = new Map<string, Fixture>();
export function loadFixture(name: string): Fixture {
  let f = cache.get(name);
  if (!f) {
    f = {
      name,
      weights: parseModelJson(readFileSync(fixturePath(`${name}.model.json`), 'utf8')),
      probe: parseProbeJson(readFileSync(fixturePath(`${name}.probe.json`), 'utf8')),
      expected: JSON.parse(readFileSync(fixturePath(`${name}.expected.json`), 'utf8')),
    };
    cache.set(name, f);
  }
  return f;
}

/** Flattens nested arrays of numbers. */
export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

/**
 * Expects ours ≈ reference elementwise: |a - b| <= rel * |b| + abs. The fixtures are rounded to
 * 10 significant digits, so rel must be >= ~5e-10.
 */
export function expectClose(ours: ArrayLike<number>, reference: unknown, rel: number, abs = 1e-13, what = ''): void {
  const ref = flat(reference);
  expect(ours.length, `${what} length`).toBe(ref.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const excess = Math.abs(ours[i] - ref[i]) - (rel * Math.abs(ref[i]) + abs);
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  expect(at, `${what}: worst element ${at}: ours ${ours[at]} vs reference ${ref[at]}`).toBe(-1);
}

/** Every numeric leaf of the reference must exist in ours and agree to 1e-8 relative; strings are descriptions. Returns the count compared. */
export function compareTree(ours: unknown, ref: unknown, path: string): number {
  if (typeof ref === 'string') return 0;
  if (ref === null) {
    expect(ours, path).toBeNull();
    return 0;
  }
  if (Array.isArray(ref) || typeof ref === 'number') {
    expect(ours, path).toBeDefined();
    const r = flat(ref);
    // Tie margins of exactly-tied scores and p-values can be exact 0/1: abs tolerance covers them.
    expectClose(flat(ours), r, 1e-8, 1e-11, path);
    return r.length;
  }
  let n = 0;
  for (const [k, v] of Object.entries(ref as Record<string, unknown>)) {
    expect(ours as Record<string, unknown>, `${path}.${k}`).toHaveProperty(k);
    n += compareTree((ours as Record<string, unknown>)[k], v, `${path}.${k}`);
  }
  return n;
}
