/**
 * The worker pool's contract: an epoch analysis assembled from per-probe parts (any split, parts
 * given in any order) equals the single-pass analyzeEpoch BIT FOR BIT — on a fixture model, a
 * gated cell, and the quick preset's shape (row MNIST, N = 32, T = 28, D = 28, 16 probes) with
 * both the pure-JS and the WASM SIMD kernels.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeEpoch, type EpochAnalysis } from '../../src/core/analysis/epochSnapshot';
import {
  dynamicsPart,
  flipPart,
  mergeEpoch,
  planEpoch,
  planFlip,
  probeRanges,
  progressMerger,
  splitFlipPlan,
  costRanges,
  flipStepsPerProbe,
  type FlipPlan,
} from '../../src/core/analysis/epochParts';
import type { ModelWeights } from '../../src/core/formats/model';
import { setAnalysisKernels, type AnalysisKernels } from '../../src/core/kernels';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../../src/core/kernels/wasm';
import { createRng } from '../../src/core/rng';
import { loadFixture } from './dynamics.fixtures';

/** Runs the four stages over `ranges`, handing parts to the merges in reverse order (order must not matter). */
function fromParts(
  w: ModelWeights,
  inputs: Float64Array,
  labels: number[],
  T: number,
  D: number,
  opts: { k: number; n: number; draws: number; seed: number },
  ranges: [number, number][],
  flipRangesOf: (fp: FlipPlan) => [number, number][] = () => ranges,
): EpochAnalysis {
  const plan = planEpoch(w, labels.length, T, D, opts);
  const dyn = ranges.map(([b0, b1]) => dynamicsPart(w, inputs, labels, plan, b0, b1)).reverse();
  const fp = planFlip(w, inputs, labels, plan, dyn);
  // Through a structured clone and restricted to each part's probes, as the pool posts it.
  const fpCopy = structuredClone(fp);
  const flipRanges = flipRangesOf(fp);
  const plans = splitFlipPlan(fpCopy, flipRanges);
  const flips = flipRanges.map(([b0, b1], i) => structuredClone(flipPart(w, inputs, labels, plans[i], b0, b1))).reverse();
  return mergeEpoch(w, inputs, labels, fp, flips);
}

const randn = (n: number, seed: number, scale = 1) => {
  const r = createRng(seed);
  return Float64Array.from({ length: n }, () => r.normal() * scale);
};

/** A random vanilla RNN with the quick preset's sizes (N = 32, D = 28, 10 classes). */
function quickModel(): ModelWeights {
  const N = 32;
  const D = 28;
  return {
    arch: 'rnn',
    inputSize: D,
    hiddenSize: N,
    numClasses: 10,
    tensors: {
      weight_ih_l0: randn(N * D, 1, 1 / Math.sqrt(D)),
      weight_hh_l0: randn(N * N, 2, 1.2 / Math.sqrt(N)),
      bias_ih_l0: randn(N, 3, 0.1),
      bias_hh_l0: randn(N, 4, 0.1),
      'fc.weight': randn(10 * N, 5, 1 / Math.sqrt(N)),
      'fc.bias': randn(10, 6, 0.1),
    },
  };
}

let wasm: AnalysisKernels | null = null;
beforeAll(async () => {
  if (wasmSimdAvailable())
    wasm = await createWasmAnalysisKernels(readFileSync(new URL('../../public/kernels/analysis.wasm', import.meta.url)));
});

describe('analyzeEpoch from parts equals the single pass exactly', () => {
  for (const name of ['rnn_n16_t28_d28_trained', 'lstm_n8_t10_d2'] as const) {
    it(`${name}: every probe alone, and an uneven 3-way split`, () => {
      const { weights, probe } = loadFixture(name);
      const labels = Array.from(probe.labels);
      const opts = { k: 8, n: 2, draws: 12, seed: 4 };
      const single = analyzeEpoch(weights, probe.inputs, labels, probe.T, probe.D, opts);
      const B = labels.length;
      expect(B).toBeGreaterThanOrEqual(3);
      const each = Array.from({ length: B }, (_, b) => [b, b + 1] as [number, number]);
      expect(fromParts(weights, probe.inputs, labels, probe.T, probe.D, opts, each)).toStrictEqual(single);
      expect(
        fromParts(weights, probe.inputs, labels, probe.T, probe.D, opts, [
          [0, 1],
          [1, B - 1],
          [B - 1, B],
        ]),
      ).toStrictEqual(single);
    });
  }

  it('quick preset shape (N = 32, T = 28, D = 28, 16 probes, k = 16, 50 draws), JS and WASM kernels, 2 and 5 parts', () => {
    const w = quickModel();
    const T = 28;
    const D = 28;
    const B = 16;
    const rng = createRng(7);
    const inputs = Float64Array.from({ length: B * T * D }, () => (rng.next() < 0.4 ? rng.next() : 0));
    const labels = Array.from({ length: B }, (_, b) => b % 10);
    const opts = { k: 16, n: 2, draws: 50, seed: 1 };
    for (const K of [null, wasm]) {
      setAnalysisKernels(K);
      try {
        const single = analyzeEpoch(w, inputs, labels, T, D, opts);
        expect(single.flip!.R).toBe(50);
        expect(single.alignment).not.toBeNull();
        for (const parts of [2, 5]) expect(fromParts(w, inputs, labels, T, D, opts, probeRanges(B, parts))).toStrictEqual(single);
        // The pool's flip stage: ranges of equal estimated cost, independent of the dynamics' ranges.
        const byCost = (fp: FlipPlan) => costRanges(flipStepsPerProbe(fp), 3);
        expect(fromParts(w, inputs, labels, T, D, opts, probeRanges(B, 2), byCost)).toStrictEqual(single);
      } finally {
        setAnalysisKernels(null);
      }
    }
  });
});

describe('costRanges and flipStepsPerProbe', () => {
  it('costRanges cuts contiguous non-empty ranges of near-equal cost, never more than probes', () => {
    expect(costRanges([1, 1, 1, 1, 1, 1, 10, 1, 1, 1, 1, 1], 2)).toEqual([
      [0, 7],
      [7, 12],
    ]);
    expect(costRanges([10, 0, 0, 0], 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
    ]);
    expect(costRanges([0, 0, 0], 2)).toEqual(probeRanges(3, 2));
    expect(costRanges([5, 5], 7)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(costRanges([3, 1, 2], 1)).toEqual([[0, 3]]);
    // As many ranges as probes: one probe each, whatever the costs.
    expect(costRanges([1, 9, 1, 1], 4)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    const r = costRanges([1, 1, 1, 1, 1, 1, 1, 1, 1, 50, 1, 1, 1, 1, 1, 1], 8);
    expect(r).toHaveLength(8);
    expect(r[0][0]).toBe(0);
    expect(r[7][1]).toBe(16);
    for (let i = 1; i < 8; i++) expect(r[i][0]).toBe(r[i - 1][1]);
    for (const [b0, b1] of r) expect(b1).toBeGreaterThan(b0);
  });

  it('flipStepsPerProbe sums T minus the first flipped step of each job', () => {
    const jobs = { probe: Int32Array.from([0, 1, 1, 0]), start: Int32Array.from([0, 2, 3, 3, 4]), steps: Int32Array.from([5, 3, 9, 0]) };
    const fp = { plan: { B: 2, T: 10 }, calls: [{ kind: 'losses', phase: 'flip test', jobs }] } as unknown as FlipPlan;
    // probe 0: jobs {5, 3} -> 10 - 3 and {0} -> 10; probe 1: {9} -> 1 and {} -> 0.
    expect(Array.from(flipStepsPerProbe(fp))).toEqual([17, 1]);
  });
});

describe('probeRanges and progressMerger', () => {
  it('probeRanges covers 0..B-1 contiguously with near-equal parts, never more parts than probes', () => {
    expect(probeRanges(16, 3)).toEqual([
      [0, 5],
      [5, 10],
      [10, 16],
    ]);
    expect(probeRanges(2, 7)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(probeRanges(5, 1)).toEqual([[0, 5]]);
  });

  it('merges two parts into one non-decreasing fraction that reaches 1 when both finish every phase', () => {
    const { weights, probe } = loadFixture('lstm_n8_t10_d2');
    const plan = planEpoch(weights, probe.B, probe.T, probe.D, { k: 4, n: 1, draws: 5, seed: 1 });
    const seen: number[] = [];
    const part = progressMerger(plan, (p) => seen.push(p.fraction));
    const a = part('a');
    const b = part('b');
    a('Lyapunov vectors', 0.5);
    b('Lyapunov vectors', 0.5);
    const afterLyap = seen[seen.length - 1];
    expect(afterLyap).toBeCloseTo(plan.cost['Lyapunov vectors'] / Object.values(plan.cost).reduce((x, y) => x + y, 0), 12);
    // Gated cells have an alignment phase too (Q in R^N against dL_t/dW_hh's right singular vectors).
    expect(plan.cost.alignment).toBeGreaterThan(0);
    a('alignment', 0.5);
    b('alignment', 0.5);
    a('flip test', 0.5);
    b('flip test', 0.2);
    b('flip test', 0.5);
    b('single-pixel map', 0.5);
    a('single-pixel map', 0.5);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen[seen.length - 1]).toBe(1);
  });
});
