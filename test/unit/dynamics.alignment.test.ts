import { describe, expect, it } from 'vitest';
import { createCell } from '../../src/core/dynamics/cells';
import { probeLyapunov } from '../../src/core/dynamics/lyapunov';
import { alignmentBlock, defaultAlignmentSteps, probeStepAlignments } from '../../src/core/dynamics/alignment';
import { std } from '../../src/core/stats/descriptive';
import { bpttSample } from '../../src/core/dynamics/gradients';
import { analyzeEpochDynamics } from '../../src/core/analysis/epochAnalysis';
import { analyzeModel } from '../../src/core/analysis/analyze';
import { svd, svdOfOuterSum } from '../../src/core/linalg/svd';
import { createRng } from '../../src/core/rng';
import { expectClose, FIXTURE_CASES, flat, loadFixture, RNN_CASES } from './dynamics.fixtures';

describe('gradient-SVD alignment against the fixtures', () => {
  it.each(RNN_CASES)('%s: |cos|, overlaps, singular values, paper statistic', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const a = expected.alignment;
    const cell = createCell(weights);
    const N = cell.hiddenSize;
    const kq = Math.max(a.nq, ...a.overlap.m);
    const L = probeLyapunov(cell, probe, { k: kq, keepQAt: a.steps, keepTrajectories: true });
    const per = L.runs.map((run, b) => probeStepAlignments(cell, L.trajectories![b], probe.labels[b], a.steps, run.qAt!, kq));
    const blk = alignmentBlock(per, N, a.nq, a.nsv, a.overlap.m);
    expectClose(flat(blk.prefix_singular_values), a.prefix_singular_values, 1e-8, 1e-13, 'prefix_singular_values');
    // Singular vectors are unique only where singular values are separated: compare those |cos|.
    let compared = 0;
    for (let b = 0; b < probe.B; b++) {
      for (let s = 0; s < a.steps.length; s++) {
        const sv: number[] = a.prefix_singular_values[b][s];
        for (let j = 0; j < a.nsv; j++) {
          const gapPrev = j === 0 ? Infinity : sv[j - 1] - sv[j];
          const gapNext = j + 1 < sv.length ? sv[j] - sv[j + 1] : Infinity;
          if (Math.min(gapPrev, gapNext) < 1e-4 * sv[0]) continue;
          for (let q = 0; q < a.nq; q++) {
            expect(Math.abs(Math.abs(blk.cos_right[b][s][q][j]) - Math.abs(a.cos_right[b][s][q][j]))).toBeLessThan(1e-6);
            expect(Math.abs(Math.abs(blk.cos_left[b][s][q][j]) - Math.abs(a.cos_left[b][s][q][j]))).toBeLessThan(1e-6);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(probe.B * a.steps.length * a.nq);
    // Principal-angle overlaps are sign-free; the top-m subspaces are separated here.
    expectClose(flat(blk.overlap.right), a.overlap.right, 1e-6, 1e-9, 'overlap.right');
    expectClose(flat(blk.overlap.left), a.overlap.left, 1e-6, 1e-9, 'overlap.left');
    expectClose(blk.std_per_step, a.std_per_step, 1e-6, 1e-12, 'std_per_step');
    expect(blk.summary_std).toBeCloseTo(a.summary_std, 6);
    expect(blk.null_cos_std).toBeCloseTo(1 / Math.sqrt(N), 14);
    expect(blk.overlap.null).toEqual(a.overlap.m.map((m: number) => m / N));
  });

  it('svdOfOuterSum equals the SVD of the formed matrix (rank t < n)', () => {
    const rng = createRng(5);
    const n = 12;
    const t = 4;
    const A = Float64Array.from({ length: t * n }, () => rng.normal());
    const B = Float64Array.from({ length: t * n }, () => rng.normal());
    const G = new Float64Array(n * n);
    for (let s = 0; s < t; s++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[i * n + j] += A[s * n + i] * B[s * n + j];
    const full = svd(G, n, n);
    const low = svdOfOuterSum(A, B, n, t);
    for (let j = 0; j < t; j++) {
      expect(low.s[j]).toBeCloseTo(full.s[j], 11);
      for (let i = 0; i < n; i++) {
        expect(low.U[j * n + i]).toBeCloseTo(full.U[j * n + i], 9);
        expect(low.V[j * n + i]).toBeCloseTo(full.V[j * n + i], 9);
      }
    }
    for (let j = t; j < n; j++) expect(full.s[j]).toBeLessThan(1e-12);
  });

  it('defaultAlignmentSteps: ~5 evenly spaced steps ending at T', () => {
    expect(defaultAlignmentSteps(28)).toEqual([6, 11, 17, 22, 28]);
    expect(defaultAlignmentSteps(3)).toEqual([1, 2, 3]);
  });
});

describe('analyzeEpochDynamics (the epoch worker’s dynamics)', () => {
  it.each(FIXTURE_CASES)('%s: lnR/spectrum equal the reference, Q/R check ~1e-15, summary shapes', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const k = 3;
    const r = analyzeEpochDynamics(weights, probe, { k, seed: 1 });
    const { B, T } = probe;
    const ref = flat(expected.rvals);
    const K = expected.k;
    for (let i = 0; i < B * T; i++)
      for (let a = 0; a < k; a++) expect(Math.abs(Math.exp(r.lnR[i * k + a]) / ref[i * K + a] - 1)).toBeLessThan(1e-8);
    expectClose(
      flat(r.spectrum),
      expected.ftle.map((row: number[]) => row.slice(0, k)),
      1e-8,
      1e-12,
      'spectrum',
    );
    expect(r.qrGradRelErr).toBeLessThan(1e-10);
    expect(r.saturation).toBeGreaterThanOrEqual(0);
    expect(r.saturation).toBeLessThanOrEqual(1);
    if (weights.arch !== 'rnn') {
      // Gated alignment: dynamics.alignment.gated.test.ts.
      expect(r.alignment).not.toBeNull();
      return;
    }
    const al = r.alignment!;
    const N = weights.hiddenSize;
    expect(al.steps.at(-1)).toBe(T);
    expect(al.nullCosStd).toBeCloseTo(1 / Math.sqrt(N), 14);
    expect(al.overlapNull).toEqual(al.m.map((m) => m / N));
    for (const rows of [al.overlapLeft, al.overlapRight, al.overlapLeftMismatched, al.overlapLeftWhh]) {
      expect(rows.length).toBe(al.steps.length);
      for (const row of rows) for (const v of row) expect(v >= -1e-12 && v <= 1 + 1e-12).toBe(true);
    }
    for (const v of al.effectiveRank) expect(v >= 1 - 1e-12 && v <= N + 1e-12).toBe(true);
    // At the last step the paper statistic must equal the fixture block's definition on the same steps.
    const blk = analyzeModel(weights, probe, { alignSteps: al.steps }).alignment as { std_per_step: number[]; cos_right: number[][][][] };
    expectClose(al.paperStd, blk.std_per_step, 1e-12, 1e-14, 'paperStd vs alignment block');
    // Every probe's |cos| matrix at the last step (the panel follows the selected probe); probe 0's is cosMatrix.
    expect(al.cosMatrices!.length).toBe(B);
    for (let b = 0; b < B; b++) {
      expectClose(
        al.cosMatrices![b].flat(),
        blk.cos_right[b][al.steps.length - 1].flatMap((row) => row.map(Math.abs)),
        1e-12,
        1e-14,
        `cosMatrices[${b}]`,
      );
    }
    expect(al.cosMatrix).toEqual(al.cosMatrices![0]);
  });
});

describe('random-Q and last-Q controls over the whole Q basis', () => {
  // A random tanh RNN with N = 32 > 20: whether all N Q vectors are tracked matters.
  const N = 32;
  const T = 24;
  const B = 3;
  const rng = createRng(81);
  const randn = (n: number, s: number) => Float64Array.from({ length: n }, () => s * rng.normal());
  const weights = {
    arch: 'rnn' as const,
    inputSize: 1,
    hiddenSize: N,
    numClasses: 10,
    tensors: {
      weight_ih_l0: randn(N, 1),
      weight_hh_l0: randn(N * N, 1.3 / Math.sqrt(N)),
      bias_ih_l0: randn(N, 0.1),
      bias_hh_l0: randn(N, 0.1),
      'fc.weight': randn(10 * N, 0.3),
      'fc.bias': randn(10, 0.1),
    },
  };
  const probe = { B, T, D: 1, inputs: Float64Array.from({ length: B * T }, () => (rng.next() < 0.3 ? 1 : 0)), labels: [1, 4, 7] };

  it('tracks all N when affordable: random indices among all N, and the last 10 Q vectors as a control', () => {
    const full = analyzeEpochDynamics(weights, probe, { k: 8, seed: 5 });
    const capped = analyzeEpochDynamics(weights, probe, { k: 8, seed: 5, fullQBasisMacs: 0 });
    const a = full.alignment!;
    const c = capped.alignment!;
    expect(a.randomQPool).toBe(N);
    expect(c.randomQPool).toBe(20);
    expect(c.paperStdLastQ).toBeUndefined();
    // The first Q vectors do not depend on how many more are tracked (Gram-Schmidt is sequential).
    expect(full.lnR).toEqual(capped.lnR);
    expect(a.paperStd).toEqual(c.paperStd);
    expect(a.overlapLeft).toEqual(c.overlapLeft);

    // The last-10 control recomputed independently: full-basis QR, BPTT gradient, SVD, cosines.
    const cell = createCell(weights);
    const L = probeLyapunov(cell, probe, { k: N, keepQAt: a.steps, keepTrajectories: true });
    let compared = 0;
    a.steps.forEach((t, s) => {
      const cos: number[] = [];
      let defined = true;
      for (let b = 0; b < B; b++) {
        const g = bpttSample(cell, probe.inputs, b * T, L.trajectories![b], probe.labels[b], { tLoss: t });
        const sv = svd(g.cell.weight_hh, N, N);
        // dL_t/dW_hh has rank <= t - 1 (h_0 = 0): with fewer than 5 nonzero singular values the
        // 5th vector is an arbitrary null direction, and so is any statistic built on it.
        if (sv.s[4] < 1e-8 * sv.s[0]) defined = false;
        const V = sv.V;
        const Q = L.runs[b].qAt!.get(t)!;
        for (let q = N - 10; q < N; q++) {
          for (let j = 0; j < 5; j++) {
            let d = 0;
            for (let i = 0; i < N; i++) d += Q[q * N + i] * V[j * N + i];
            cos.push(d);
          }
        }
      }
      if (!defined) return;
      compared++;
      expect(a.paperStdLastQ![s]).toBeCloseTo(std(cos), 12);
    });
    expect(compared).toBeGreaterThanOrEqual(4);
  });
});
