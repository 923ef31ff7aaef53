/**
 * Verdict rules (src/core/verdicts.ts) on constructed statistics whose verdict is known by
 * construction (significant, not significant, reversed, a control beats the claim), and on
 * snapshots built from the float64 reference fixtures.
 */
import { describe, expect, it } from 'vitest';
import type { AlignmentSummary, FlipSummary } from '../../src/core/snapshot';
import { type ClaimInput, summarizeSeeds } from '../../src/core/seedSummary';
import {
  alignmentVerdict,
  compareRankingsWithRandom,
  flipVerdict,
  seedsVerdict,
  spectrumVerdict,
  strongestControl,
  type Verdict,
} from '../../src/core/verdicts';
import { loadFixture } from './dynamics.fixtures';

const K_LIST = [1, 2, 3, 5, 10];
const B = 4;

/** dL [K][B] with every probe at `perK[i]`. */
const table = (perK: number[]) => perK.map((v) => Array.from({ length: B }, () => v));

/**
 * A flip summary whose R-top mean dL per k is `top`, random's is `rand` (every draw equal), with
 * R-top Holm p-values `pHolm`, plus optional controls' mean dL per k.
 */
function flipOf(top: number[], rand: number[], pHolm: number[], controls: Record<string, number[]> = {}): FlipSummary {
  const dL: Record<string, number[][]> = { top: table(top) };
  for (const [name, v] of Object.entries(controls)) dL[name] = table(v);
  const diff = top.map((v, i) => v - rand[i]);
  return {
    n: 1,
    kList: K_LIST,
    R: 3,
    baseLoss: Array(B).fill(0.1),
    dL,
    dLRand: rand.map((v) => [table([v])[0], table([v])[0], table([v])[0]]),
    zTest: { d: diff, sigma: diff.map(() => 1), p: pHolm, pHolm },
    wilcoxon: { top: { medianDiff: diff, meanDiff: diff, p: pHolm, pHolm } },
    band: {},
    effect: { top: diff.map((d) => d * 2) },
    singleFlip: [],
    scores: [],
    absDLdx: [],
    kFig: 5,
    softmaxOrig: [],
    softmaxTop: [],
    softmaxRand: [],
  };
}

describe('flipVerdict', () => {
  it('significant at some k, no control better: supported, with the k, the smallest p and the effect', () => {
    const v = flipVerdict(
      flipOf([0.1, 0.2, 0.5, 0.9, 1.5], [0.1, 0.1, 0.1, 0.2, 0.3], [0.6, 0.3, 0.04, 0.002, 0.01], { saliency: [0, 0.1, 0.2, 0.3, 0.4] }),
    );
    expect(v.kind).toBe('supported');
    expect(v.text).toContain('at 3 of 5 k after Holm');
    expect(v.text).toContain('k = 3, 5, 10');
    expect(v.text).toContain('smallest p 0.002 at k=5');
    expect(v.text).toContain('largest effect 2.4 sd');
    expect(v.text).toContain('no control beats it');
  });

  it('no k significant: null, with the smallest Holm p and where', () => {
    const v = flipVerdict(flipOf([0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5], [1, 0.8, 0.29, 0.5, 1]));
    expect(v.kind).toBe('null');
    expect(v.text).toBe('R-top vs random: no k significant after Holm (smallest p 0.29 at k=3).');
  });

  it('a p below alpha with a negative mean difference is not a significant k', () => {
    const v = flipVerdict(flipOf([0.1, 0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2, 0.2], [0.01, 0.01, 0.01, 0.01, 0.01]));
    expect(v.kind).toBe('reversed');
  });

  it('reversed: R-top below random at most k is said as a direction, never as significant', () => {
    const v = flipVerdict(flipOf([0.05, 0.1, 0.1, 0.2, 0.2], [0.1, 0.2, 0.3, 0.4, 0.1], [1, 1, 1, 1, 0.7]));
    expect(v.kind).toBe('reversed');
    expect(v.text).toContain('below random at 4 of 5 k');
    expect(v.text).toContain('one-sided');
    expect(v.text).not.toMatch(/significantly/);
  });

  it('a control beats R-top at most k: the significant verdict is qualified, naming the control and the count', () => {
    const f = flipOf([0.2, 0.4, 0.6, 0.8, 1.0], [0.1, 0.1, 0.1, 0.1, 0.1], [0.01, 0.01, 0.01, 0.01, 0.01], {
      saliency: [0.5, 0.9, 1.2, 0.7, 1.9],
      last: [0.3, 0.3, 0.3, 0.3, 0.3],
      bottom: [9, 9, 9, 9, 9],
    });
    const c = strongestControl(f)!;
    expect(c.name).toBe('saliency');
    expect(c.beatsTopK).toEqual([1, 2, 3, 10]);
    const v = flipVerdict(f);
    expect(v.kind).toBe('qualified');
    expect(v.text).toContain("gradient saliency beats R-top's mean dL at 4 of 5 k");
    expect(v.text).toContain('not specific to R');
  });

  it('row-wise encodings speak of rows', () => {
    const v = flipVerdict(flipOf([1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [0.01, 0.01, 0.01, 0.01, 0.01], { last: [2, 2, 2, 2, 2] }), {
      unit: 'row',
    });
    expect(v.text).toContain('flips rows');
    expect(v.text).toContain("the last rows beat R-top's mean dL at 5 of 5 k");
  });

  it('missing statistics: unavailable', () => {
    expect(flipVerdict(null).kind).toBe('unavailable');
  });

  it('compareRankingsWithRandom lists every ranking in legend order with its significant k', () => {
    const f = flipOf([0.2, 0.4, 0.6, 0.8, 1.0], [0.1, 0.1, 0.1, 0.1, 0.1], [0.01, 0.2, 0.01, 0.2, 0.01], {
      saliency: [0, 0, 0, 0, 0],
      bottom: [0, 0, 0, 0, 0],
    });
    const rows = compareRankingsWithRandom(f);
    expect(rows.map((r) => r.name)).toEqual(['top', 'bottom', 'saliency']);
    expect(rows[0].significantK).toEqual([1, 3, 10]);
    expect(rows[2].belowRandomK).toEqual(K_LIST);
    expect(rows[2].testedK).toBe(0);
  });
});

/** Alignment summary with constant per-step values. */
function alignmentOf(paper: number, N: number, controls: { randomQ: number; mismatched: number; whh: number }): AlignmentSummary {
  const steps = [7, 14, 28];
  const c = (v: number) => steps.map(() => v);
  return {
    steps,
    paperStd: c(paper),
    paperStdRandomQ: c(controls.randomQ),
    paperStdMismatched: c(controls.mismatched),
    paperStdWhh: c(controls.whh),
    nullCosStd: 1 / Math.sqrt(N),
    m: [1],
    overlapLeft: [],
    overlapRight: [],
    overlapLeftStd: [],
    overlapRightStd: [],
    overlapLeftMismatched: [],
    overlapLeftWhh: [],
    overlapNull: [1 / N],
    cosMatrix: [],
    effectiveRank: [],
  };
}

describe('alignmentVerdict', () => {
  it('above the null and every control: supported, naming the largest control', () => {
    const v = alignmentVerdict(alignmentOf(0.4, 64, { randomQ: 0.13, mismatched: 0.2, whh: 0.15 }));
    expect(v.kind).toBe('supported');
    expect(v.text).toContain('0.4 vs null 0.125');
    expect(v.text).toContain('Q of another probe, 0.2');
    expect(v.text).toContain('no significance test');
  });

  it("a control as large as the statistic: qualified, 'not specific to Q'", () => {
    const v = alignmentVerdict(alignmentOf(0.26, 64, { randomQ: 0.13, mismatched: 0.2, whh: 0.25 }));
    expect(v.kind).toBe('qualified');
    expect(v.text).toContain("0.26 vs null 0.125 — but W_hh's own singular vectors give 0.25: alignment is not specific to Q");
  });

  it("quotes the CLV statistic beside Q without counting it as a control (CLVs share Q's spans)", () => {
    const base = alignmentOf(0.4, 64, { randomQ: 0.13, mismatched: 0.2, whh: 0.15 });
    // CLVs as aligned as Q: still supported (a change of basis, not an unspecific direction set).
    const v = alignmentVerdict({ ...base, paperStdClv: [0.39, 0.41, 0.4] });
    expect(v.kind).toBe('supported');
    expect(v.text).toContain('covariant Lyapunov vectors in place of Q: 0.4');
    expect(v.text).toContain('(largest: Q of another probe, 0.2)');
    expect(alignmentVerdict(base).text).not.toContain('covariant');
  });

  it('at the null: no alignment beyond random directions', () => {
    expect(alignmentVerdict(alignmentOf(0.13, 64, { randomQ: 0.13, mismatched: 0.12, whh: 0.12 })).kind).toBe('null');
  });

  it('below the null: reversed', () => {
    expect(alignmentVerdict(alignmentOf(0.05, 64, { randomQ: 0.13, mismatched: 0.12, whh: 0.12 })).kind).toBe('reversed');
  });

  it('no summary: unavailable', () => {
    expect(alignmentVerdict(null).kind).toBe('unavailable');
  });
});

describe('spectrumVerdict', () => {
  it('every probe below -tol: stable; above +tol: chaotic; straddling 0: marginal', () => {
    expect(
      spectrumVerdict([
        [-0.3, -0.5],
        [-0.1, -0.4],
      ]).kind,
    ).toBe('stable');
    expect(
      spectrumVerdict([
        [0.3, -0.5],
        [0.1, -0.4],
      ]).kind,
    ).toBe('chaotic');
    const m = spectrumVerdict(
      [
        [0.05, -0.5],
        [-0.2, -0.4],
      ],
      { probe: 1 },
    );
    expect(m.kind).toBe('marginal');
    expect(m.text).toContain('λ1 = -0.075 ln/step (probes -0.2 … 0.05; this probe -0.2)');
    expect(m.text).toContain('straddle');
  });

  it('bits per step when asked', () => {
    expect(spectrumVerdict([[-Math.LN2]], { log2: true }).text).toContain('λ1 = -1 bits/step');
  });
});

describe('verdicts on snapshots from the float64 reference fixtures', () => {
  it('linear RNN (exponents ln|eig| < 0): stable; the trained RNN straddles 0: marginal', () => {
    const lin = loadFixture('rnn_linear_n12_t40_d1').expected;
    expect(spectrumVerdict(lin.ftle).kind).toBe('stable');
    const trained = loadFixture('rnn_n16_t28_d28_trained').expected;
    const v = spectrumVerdict(trained.ftle);
    expect(v.kind).toBe('marginal');
    expect(v.text).toContain('probes -0.091 … 0.023');
  });

  it('trained RNN flip test (reference Holm p = 1 at every k): no k significant', () => {
    const ref = loadFixture('rnn_n16_t28_d28_trained').expected.flip;
    const w = ref.wilcoxon;
    const flip: FlipSummary = {
      n: ref.n,
      kList: ref.k_list,
      R: ref.R,
      baseLoss: ref.base_loss,
      dL: { top: ref.dL_top, bottom: ref.dL_bottom, saliency: ref.dL_saliency },
      dLRand: ref.dL_rand,
      zTest: { d: ref.z_test.d, sigma: ref.z_test.sigma, p: ref.z_test.p, pHolm: ref.z_test.p_holm },
      wilcoxon: { top: { medianDiff: w.median_diff, meanDiff: w.mean_diff, p: w.p, pHolm: w.p_holm } },
      band: {},
      effect: {},
      singleFlip: [],
      scores: ref.scores,
      absDLdx: ref.abs_dLdx,
      kFig: 3,
      softmaxOrig: [],
      softmaxTop: [],
      softmaxRand: [],
    };
    const v = flipVerdict(flip, { unit: 'row' });
    // Reference mean differences are all positive: not reversed, just not significant.
    expect(v.kind).toBe('null');
    expect(v.text).toContain('no k significant after Holm (smallest p 1 at k=1)');
  });

  it('trained RNN alignment (reference 0.255 vs null 1/sqrt(16) = 0.25): no alignment beyond random directions', () => {
    const ref = loadFixture('rnn_n16_t28_d28_trained').expected.alignment;
    const a: AlignmentSummary = {
      steps: ref.steps,
      paperStd: ref.std_per_step,
      paperStdRandomQ: [],
      paperStdMismatched: [],
      paperStdWhh: [],
      nullCosStd: ref.null_cos_std,
      m: [],
      overlapLeft: [],
      overlapRight: [],
      overlapLeftStd: [],
      overlapRightStd: [],
      overlapLeftMismatched: [],
      overlapLeftWhh: [],
      overlapNull: [],
      cosMatrix: [],
      effectiveRank: [],
    };
    const v = alignmentVerdict(a);
    expect(v.kind).toBe('null');
    expect(v.text).toContain('0.26 vs null 0.25');
  });
});

/** Jargon a student meets only in the paper: the plain sentence must not lean on it. */
const JARGON = /R-top|Holm|Wilcoxon|dL|\bp\b|\bk\b|λ|null|sd\b|Q vectors/;

function expectPlain(v: Verdict, pattern: RegExp) {
  expect(v.plain).toMatch(pattern);
  expect(v.plain).not.toMatch(JARGON);
  // One sentence, before the statistics: it ends with a full stop and says nothing the statistics contradict.
  expect(v.plain.trim().endsWith('.')).toBe(true);
}

describe('plain sentences (the first sentence of every verdict, from the same numbers)', () => {
  it('flip: more, less, no more, and not specific, each by construction of the means and p-values', () => {
    expectPlain(
      flipVerdict(flipOf([0.1, 0.2, 0.5, 0.9, 1.5], [0.1, 0.1, 0.1, 0.2, 0.3], [0.6, 0.3, 0.04, 0.002, 0.01])),
      /^Flipping the pixels the paper ranks highest hurts more than flipping random ones here, and no simpler ranking/,
    );
    expectPlain(
      flipVerdict(flipOf([0.05, 0.1, 0.1, 0.2, 0.2], [0.1, 0.2, 0.3, 0.4, 0.1], [1, 1, 1, 1, 0.7])),
      /^Flipping the pixels the paper ranks highest hurts less than flipping random ones here\.$/,
    );
    expectPlain(
      flipVerdict(flipOf([0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5], [1, 0.8, 0.29, 0.5, 1])),
      /hurts no more than flipping random ones/,
    );
    const qualified = flipVerdict(
      flipOf([0.2, 0.4, 0.6, 0.8, 1.0], [0.1, 0.1, 0.1, 0.1, 0.1], [0.01, 0.01, 0.01, 0.01, 0.01], { saliency: [0.5, 0.9, 1.2, 0.7, 1.9] }),
    );
    expect(qualified.kind).toBe('qualified');
    expectPlain(qualified, /hurts more than flipping random ones here, but a simpler ranking \(gradient saliency\) hurts even more/);
    expectPlain(flipVerdict(null), /not been run/);
  });

  it('flip: row-wise encodings speak of rows in the plain sentence too', () => {
    const v = flipVerdict(flipOf([0.05, 0.1, 0.1, 0.2, 0.2], [0.1, 0.2, 0.3, 0.4, 0.1], [1, 1, 1, 1, 0.7]), { unit: 'row' });
    expectPlain(v, /^Flipping the rows the paper ranks highest hurts less/);
  });

  it('alignment: better than every comparison, not special, no better, worse', () => {
    expectPlain(alignmentVerdict(alignmentOf(0.4, 64, { randomQ: 0.13, mismatched: 0.2, whh: 0.15 })), /better than every comparison/);
    expectPlain(
      alignmentVerdict(alignmentOf(0.26, 64, { randomQ: 0.13, mismatched: 0.2, whh: 0.25 })),
      /but W_hh's own singular vectors do about as well, so it is not special to them/,
    );
    expectPlain(
      alignmentVerdict(alignmentOf(0.26, 64, { randomQ: 0.13, mismatched: 0.25, whh: 0.2 })),
      /but Q of another probe does about as well/,
    );
    expectPlain(
      alignmentVerdict(alignmentOf(0.13, 64, { randomQ: 0.13, mismatched: 0.12, whh: 0.12 })),
      /no better than random directions/,
    );
    expectPlain(alignmentVerdict(alignmentOf(0.05, 64, { randomQ: 0.13, mismatched: 0.12, whh: 0.12 })), /less than random directions/);
  });

  it('spectrum: forgets, chaotic, edge of chaos', () => {
    expectPlain(spectrumVerdict([[-0.3], [-0.1]]), /forgets: a small nudge to its state dies out/);
    expectPlain(spectrumVerdict([[0.3], [0.1]]), /chaotic: a small nudge to its state grows/);
    expectPlain(spectrumVerdict([[0.05], [-0.2]]), /edge of chaos/);
    expectPlain(spectrumVerdict(null), /No exponents/);
  });

  it('seeds: counts the seeds whose flip test rejects and reads the gap interval, as the statistics do', () => {
    const snap = (meanDiff: number, pHolm: number, stat: number, control: number): ClaimInput => ({
      epoch: 1,
      flip: {
        kList: [2],
        kFig: 2,
        wilcoxon: { top: { p: [pHolm], pHolm: [pHolm], medianDiff: [meanDiff], meanDiff: [meanDiff] } },
      } as unknown as FlipSummary,
      alignment: { paperStd: [stat], paperStdRandomQ: [control], paperStdMismatched: [], paperStdWhh: [] } as unknown as AlignmentSummary,
    });
    // Every seed rejects; gaps 0.19, 0.2, 0.21: interval above 0.
    const all = seedsVerdict(summarizeSeeds([0.19, 0.2, 0.21].map((g) => [snap(1, 0.01, 0.5 + g, 0.5)]))[0], 3);
    expect(all.kind).toBe('supported');
    expectPlain(
      all,
      /^Across seeds, flipping what the paper ranks highest hurts more than random flips in every seed \(3\), and the alignment beats its strongest comparison reliably\.$/,
    );
    // One of three rejects; gaps -0.21, -0.2, -0.19: interval below 0.
    const some = seedsVerdict(summarizeSeeds([0.01, 0.9, 0.9].map((p, i) => [snap(1, p, 0.5 - 0.2 + (i - 1) * 0.01, 0.5)]))[0], 3);
    expectPlain(some, /in 1 of 3 seeds, and the alignment does not beat its strongest comparison\.$/);
    // Two of two reject but the gap interval straddles 0.
    const mixed = seedsVerdict(summarizeSeeds([-0.1, 0.3].map((g) => [snap(1, 0.01, 0.5 + g, 0.5)]))[0], 2);
    expectPlain(mixed, /whether the alignment beats its strongest comparison is unclear/);
  });
});
