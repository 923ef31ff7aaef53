/**
 * The app's per-epoch analysis (what every panel draws) against the float64 reference fixtures:
 * the same numbers the CLI writes, reached through the snapshot path of the analysis worker.
 */
import { describe, expect, it } from 'vitest';
import { analyzeEpoch, type AnalysisPhase, type AnalysisProgress } from '../../src/core/analysis/epochSnapshot';
import { expectClose, flat, loadFixture } from './dynamics.fixtures';
import { ANALYSIS_DEFAULTS } from '../../src/core/analysis/analysisDefaults';
import { analyzeModel } from '../../src/core/analysis/analyze';
import type { FlipTestResult } from '../../src/core/sensitivity';
import * as cellsModule from '../../src/core/dynamics/cells';

describe('analyzeEpoch (the snapshot path) reproduces the fixtures', () => {
  // The app's probes start from h0 = 0: the fixtures with h0 = 0.
  for (const name of ['rnn_n16_t28_d28_trained', 'rnn_linear_n12_t40_d1'] as const) {
    it(name, () => {
      const { weights, probe, expected } = loadFixture(name);
      expect(probe.h0 ? Array.from(probe.h0).every((v) => v === 0) : true).toBe(true);
      const k = expected.k as number;
      const a = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, { k, n: 1, draws: 10, seed: 1 });
      expect(a.T).toBe(probe.T);
      expect(a.k).toBe(k);
      // r_i(t) (the reference is rounded to 10 digits in r, so compare r, not ln r) and the spectrum.
      expectClose(Array.from(a.lnR, Math.exp), expected.rvals, 1e-8, 1e-12, 'r = exp(lnR)');
      expectClose(flat(a.spectrum), expected.ftle, 1e-8, 1e-12, 'spectrum');
      // Q/R-form gradient equals BPTT (method.md §7: ~1e-12 relative in float64).
      expect(a.qrGradRelErr).toBeLessThan(1e-10);
      expect(a.saturation).toBeGreaterThanOrEqual(0);
      expect(a.saturation).toBeLessThanOrEqual(1);
      // Flip test inputs: base loss, scores s_t(1), |dL/dx_t| (saliency ranking).
      const flip = a.flip!;
      expectClose(flip.baseLoss, expected.loss, 1e-8, 1e-12, 'baseLoss');
      expectClose(flat(flip.scores), expected.flip.scores, 1e-8, 1e-12, 'scores');
      expectClose(flat(flip.absDLdx), expected.flip.abs_dLdx, 1e-8, 1e-12, 'absDLdx');
      // Fig 4: the original softmax is the softmax of the reference logits.
      const logits = expected.logits as number[][];
      const soft = logits.map((z) => {
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const s = e.reduce((x, y) => x + y, 0);
        return e.map((v) => v / s);
      });
      expectClose(flat(flip.softmaxOrig), soft, 1e-8, 1e-12, 'softmaxOrig');
      // Single-step flip map: one finite dL per probe and step (values checked in the next test).
      expect(flip.singleFlip.length).toBe(probe.B);
      expect(flip.singleFlip.every((row) => row.length === probe.T && row.every(Number.isFinite))).toBe(true);
      // Alignment against its null 1/sqrt(N).
      expect(a.alignment!.nullCosStd).toBeCloseTo(1 / Math.sqrt(weights.hiddenSize), 12);
    });
  }

  it('single-step flip dL equals the reference dL_top at k = 1 (flipping the top step alone)', () => {
    const { weights, probe, expected } = loadFixture('rnn_n16_t28_d28_trained');
    const a = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, { k: 16, n: 1, draws: 10, seed: 1 });
    const k1 = (expected.flip.k_list as number[]).indexOf(1);
    for (let b = 0; b < probe.B; b++) {
      const top = expected.flip.order[b][0] as number;
      expect(a.flip!.singleFlip[b][top]).toBeCloseTo(expected.flip.dL_top[k1][b], 8);
    }
  });
});

describe('analyzeEpoch for gated cells', () => {
  for (const name of ['gru_n8_t10_d2', 'lstm_n8_t10_d2'] as const) {
    it(`${name}: saliency |dL/dx_t| equals central finite differences of the reference loss`, () => {
      const { weights, probe, expected } = loadFixture(name);
      // The snapshot path starts from h0 = 0 (c0 = 0): check against finite differences there.
      const zeroProbe = { ...probe, h0: undefined, c0: undefined };
      const a = analyzeEpoch(weights, zeroProbe.inputs, zeroProbe.labels, probe.T, probe.D, { k: expected.k, n: 1, draws: 5, seed: 1 });
      const absDLdx = a.flip!.absDLdx;
      expect(absDLdx.length).toBe(probe.B);
      const { createCell, forwardLosses } = cellsModule;
      const cell = createCell(weights);
      const loss = (x: Float64Array, b: number) =>
        forwardLosses(
          cell,
          x.subarray(b * probe.T * probe.D, (b + 1) * probe.T * probe.D),
          probe.labels.subarray(b, b + 1),
          probe.T,
          probe.D,
        ).loss[0];
      const h = 1e-6;
      for (const b of [0, probe.B - 1]) {
        for (const t of [0, Math.floor(probe.T / 2), probe.T - 1]) {
          let sum = 0;
          for (let d = 0; d < probe.D; d++) {
            const i = (b * probe.T + t) * probe.D + d;
            const xp = Float64Array.from(zeroProbe.inputs);
            const xm = Float64Array.from(zeroProbe.inputs);
            xp[i] += h;
            xm[i] -= h;
            sum += Math.abs((loss(xp, b) - loss(xm, b)) / (2 * h));
          }
          expect(absDLdx[b][t]).toBeCloseTo(sum, 6);
        }
      }
      expect(a.flip!.dL.saliency).toBeDefined();
      expect(a.flip!.dL.taylor).toBeDefined();
      expect(a.alignment?.paperStd.every(Number.isFinite)).toBe(true);
    });
  }
});

describe('analyzeEpoch progress', () => {
  for (const name of ['rnn_n16_t28_d28_trained', 'lstm_n8_t10_d2'] as const) {
    it(`${name}: phases in order, fraction non-decreasing to 1, and the numbers do not depend on it`, () => {
      const { weights, probe } = loadFixture(name);
      const opts = { k: 8, n: 1, draws: 10, seed: 3 };
      const plain = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, opts);
      const seen: AnalysisProgress[] = [];
      const watched = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, {
        ...opts,
        onProgress: (p) => seen.push({ ...p }),
      });
      expect(watched).toEqual(plain);
      const phases = seen.map((p) => p.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);
      // Every cell has an alignment phase (gated cells: method.md §4, "Gated cells").
      const expectedPhases: AnalysisPhase[] = ['Lyapunov vectors', 'alignment', 'flip test', 'single-pixel map'];
      expect(phases).toEqual(expectedPhases);
      // Every probe of the per-probe phases is reported; the flip test many times.
      expect(seen.filter((p) => p.phase === 'Lyapunov vectors').length).toBe(probe.B);
      expect(seen.filter((p) => p.phase === 'flip test').length).toBeGreaterThan(probe.B);
      for (let i = 1; i < seen.length; i++) expect(seen[i].fraction).toBeGreaterThanOrEqual(seen[i - 1].fraction);
      expect(seen[0].fraction).toBeGreaterThan(0);
      expect(seen[seen.length - 1].fraction).toBe(1);
    });
  }
});

describe('analyzeEpoch work budget', () => {
  it('shrinks random and matched draws together when it binds, and says so in the snapshot', () => {
    const { weights, probe } = loadFixture('rnn_n16_t28_d28_trained');
    const free = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, { k: 8, n: 1, draws: 50, seed: 2 });
    expect(free.flip!.R).toBe(50);
    expect(free.flip!.matchedDraws).toBe(10);
    // A budget of ~8 draws' work: R falls to its floor of 5 and the matched draws to theirs (2).
    const tight = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, { k: 8, n: 1, draws: 50, seed: 2, budgetMacs: 1e6 });
    expect(tight.flip!.R).toBe(5);
    expect(tight.flip!.matchedDraws).toBe(2);
    expect(tight.flip!.dLRand[0].length).toBe(5);
    // The rankings themselves do not depend on the number of draws.
    expect(tight.flip!.dL.top).toEqual(free.flip!.dL.top);
    expect(tight.flip!.dL.saliency).toEqual(free.flip!.dL.saliency);
  });
});

describe('the app and the CLI assemble the same analysis', () => {
  it('with the shared defaults (n, k values, draws, matched draws, seed) the flip test and spectrum agree', () => {
    const { weights, probe } = loadFixture('rnn_n16_t28_d28_trained');
    const k = 16;
    const app = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, {
      k,
      n: ANALYSIS_DEFAULTS.n,
      draws: ANALYSIS_DEFAULTS.draws,
      seed: ANALYSIS_DEFAULTS.seed,
      budgetMacs: Infinity,
    });
    const cli = analyzeModel(weights, { ...probe, h0: undefined, c0: undefined }, { k, flip: true }) as {
      ftle: number[][];
      flip: FlipTestResult;
    };
    expectClose(flat(app.spectrum), cli.ftle, 1e-12, 1e-12, 'spectrum');
    const f = app.flip!;
    expect(f.n).toBe(cli.flip.n);
    expect(f.kList).toEqual(cli.flip.k_list);
    expect(f.R).toBe(cli.flip.R);
    expect(f.matchedDraws).toBe(ANALYSIS_DEFAULTS.matchedDraws);
    expect(f.kList).toEqual(ANALYSIS_DEFAULTS.kList.filter((kk) => kk <= probe.T));
    // Same random sets (same seed) and same rankings: the same dL, up to the float64 rounding of ln r vs ln(exp(ln r)).
    expectClose(flat(f.dL.top), cli.flip.dL_top, 1e-10, 1e-12, 'dL top');
    expectClose(f.dLRand.flat(2), cli.flip.dL_rand.flat(2), 1e-10, 1e-12, 'dL random');
    expectClose(flat(f.dL.matched), cli.flip.dL_matched_mean, 1e-10, 1e-12, 'dL matched');
  });
});
