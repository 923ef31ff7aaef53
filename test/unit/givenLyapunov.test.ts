/**
 * Stage 1 from a QR pass computed elsewhere (the GPU path: epochAnalysis.ts GivenLyapunov,
 * epochParts.ts dynamicsPart's `lyapunov`): given the float64 QR pass itself, every probe range's
 * dynamics part and the whole epoch equal the float64 path BIT FOR BIT (so the wiring takes ln r
 * and Q_t exactly where the CPU's own pass would put them); given that pass rounded to float32
 * (how the GPU stores it), the reported FTLE spectrum stays within float32 rounding of the
 * float64 reference fixture.
 */
import { describe, expect, it } from 'vitest';
import { dynamicsPart, mergeEpoch, flipPart, planEpoch, planFlip, splitFlipPlan } from '../../src/core/analysis/epochParts';
import { analyzeEpoch } from '../../src/core/analysis/epochSnapshot';
import { sliceLyapunov } from '../../src/core/analysis/epochAnalysis';
import { float64QrPass } from './float64QrPass';
import { expectClose, loadFixture } from './dynamics.fixtures';

const qrPass = float64QrPass;

describe('dynamics from a given QR pass', () => {
  it.each(['rnn_n16_t28_d28_trained', 'rnn_chaotic_g2_n16_t40_d1'])(
    '%s: the float64 pass given = the float64 path, bit for bit',
    (name) => {
      const { weights: w, probe } = loadFixture(name);
      const labels = Array.from(probe.labels);
      const opts = { k: 6, n: 2, draws: 8, seed: 3 };
      const plan = planEpoch(w, probe.B, probe.T, probe.D, opts);
      const given = structuredClone(qrPass(w, probe.inputs, plan));
      const ranges: [number, number][] = [
        [0, 1],
        [1, probe.B],
      ];
      for (const [b0, b1] of ranges) {
        const own = dynamicsPart(w, probe.inputs, labels, plan, b0, b1);
        const fed = dynamicsPart(w, probe.inputs, labels, plan, b0, b1, undefined, undefined, sliceLyapunov(given, probe.T, b0, b1));
        expect(fed).toEqual(own);
      }
      // The whole epoch from given parts equals the single-pass float64 analysis.
      const dyn = ranges.map(([b0, b1]) =>
        dynamicsPart(w, probe.inputs, labels, plan, b0, b1, undefined, undefined, sliceLyapunov(given, probe.T, b0, b1)),
      );
      const fp = planFlip(w, probe.inputs, labels, plan, dyn);
      const plans = splitFlipPlan(fp, ranges);
      const flips = ranges.map(([b0, b1], i) => flipPart(w, probe.inputs, labels, plans[i], b0, b1));
      expect(mergeEpoch(w, probe.inputs, labels, fp, flips)).toEqual(analyzeEpoch(w, probe.inputs, labels, probe.T, probe.D, opts));
    },
  );

  it('a float32-rounded pass gives the float64 reference spectrum within float32 rounding', () => {
    const { weights: w, probe, expected } = loadFixture('rnn_n16_t28_d28_trained');
    const labels = Array.from(probe.labels);
    const k = 16;
    const plan = planEpoch(w, probe.B, probe.T, probe.D, { k, n: 2, draws: 8, seed: 3 });
    const part = dynamicsPart(w, probe.inputs, labels, plan, 0, probe.B, undefined, undefined, qrPass(w, probe.inputs, plan, Math.fround));
    // Each ln r is rounded once (relative 6e-8 of values O(1)); their mean over T keeps that bound.
    expectClose(part.spectrum.flat(), expected.ftle, 2e-7, 1e-7, 'spectrum');
  });

  it('refuses a given pass of the wrong shape', () => {
    const { weights: w, probe } = loadFixture('rnn_n8_t12_d1');
    const labels = Array.from(probe.labels);
    const plan = planEpoch(w, probe.B, probe.T, probe.D, { k: 4, n: 1, draws: 5, seed: 1 });
    const given = qrPass(w, probe.inputs, plan);
    const short = { ...given, lnR: given.lnR.subarray(1) };
    expect(() => dynamicsPart(w, probe.inputs, labels, plan, 0, probe.B, undefined, undefined, short)).toThrow(/expected kA/);
  });
});
