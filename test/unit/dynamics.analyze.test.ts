import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../src/core/analyze';
import { expectClose, FIXTURE_CASES, flat, loadFixture } from './dynamics.fixtures';

const SKIP = new Set(['format', 'compute_seconds', 'name']);

/** Every numeric leaf of the reference must exist in ours and agree; strings are descriptions. */
function compareTree(ours: unknown, ref: unknown, path: string): number {
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

describe('analyzeModel reproduces every key of the reference analysis', () => {
  it.each(FIXTURE_CASES)('%s', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const flipSpec = { n: expected.flip.n, kList: expected.flip.k_list, randSets: expected.flip.rand_sets };
    const ours = analyzeModel(weights, probe, { k: expected.k, flip: flipSpec, alignSteps: expected.alignment?.steps });
    expect(ours.format).toBe('ftle-lab.analysis/v1');
    let compared = 0;
    for (const key of Object.keys(expected)) {
      if (SKIP.has(key)) continue;
      // checks are the reference's own rounding-level agreement (~1e-15): ours must be as small, not equal.
      if (key === 'checks') {
        for (const k of Object.keys(expected.checks)) expect((ours.checks as Record<string, number>)[k], k).toBeLessThan(1e-10);
        continue;
      }
      compared += compareTree(ours[key], expected[key], key);
    }
    expect(compared).toBeGreaterThan(500);
  });
});
