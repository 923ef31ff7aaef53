import { describe, expect, it } from 'vitest';
import { analyzeModel, analyzeModelPart, mergeAnalysisParts } from '../../src/core/analysis/analyze';
import { FIXTURE_CASES, loadFixture, compareTree } from './dynamics.fixtures';

const SKIP = new Set(['format', 'compute_seconds', 'name']);

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
      // The Python reference aligns the rnn only (alignment: null for gated cells); ours adds the app's
      // gated-cell alignment (method.md §4), checked against the app in cli-chaos.test.ts.
      if (key === 'alignment' && expected.alignment === null && weights.arch !== 'rnn') continue;
      compared += compareTree(ours[key], expected[key], key);
    }
    expect(compared).toBeGreaterThan(500);
  });
});

describe('analyzeModel split in per-probe parts (the CLI --workers path)', () => {
  it.each(FIXTURE_CASES)('%s: parts of 1 and 2 probes, merged in any order, give the same file', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const opts = { k: expected.k, flip: { n: expected.flip.n, kList: expected.flip.k_list, randSets: expected.flip.rand_sets } };
    const whole = JSON.stringify(analyzeModel(weights, probe, opts));
    const B = probe.B;
    expect(B).toBeGreaterThan(1);
    const parts = [analyzeModelPart(weights, probe, 1, B, opts), analyzeModelPart(weights, probe, 0, 1, opts)];
    expect(JSON.stringify(mergeAnalysisParts(weights, probe, parts, opts))).toBe(whole);
    expect(() => mergeAnalysisParts(weights, probe, parts.slice(0, 1), opts)).toThrow(/leave probes 0..0 out/);
  });
});
